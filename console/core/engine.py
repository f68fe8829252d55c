"""Engine: the one facade the CLI, the window and the local endpoint route through.

Contract (being implemented by the lead; front ends code against these signatures):

    engine = Engine(policy, policy_path=None, recorder=None, key_store=None)
    Engine.from_file(path, **kwargs) -> Engine         # raises PolicyLoadError with located diagnostics
    engine.policy, engine.policy_hash
    engine.explain(request) -> Plan                    # no model is called (rules classification)
    await engine.classify(request) -> Classified       # may call the classifier model
    await engine.route(request) -> RouteResult         # never raises for provider failures
    engine.route_stream(request) -> AsyncIterator[RouteEvent]   # Started/Delta/Discarded..., then RouteResult
    engine.set_policy(policy, path=None)               # swap for new requests
    engine.health                                      # circuit breakers + latency windows
    await engine.aclose()
"""
