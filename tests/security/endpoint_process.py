"""The endpoint in a process of its own, for the attack tests: a p99 measured from the test's
process is then not skewed by the attackers' threads sharing the endpoint's GIL.

    python -m tests.security.endpoint_process SPEC_JSON
SPEC_JSON holds ``policy`` (a policy as a dict), ``limits`` (EndpointLimits fields), ``log_url``
and ``answer_cap``. It prints one JSON line (url, host, port, token) once serving, and stops
when its stdin closes.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    import console.core.providers._http as http_layer
    from console.core.policy.schema import Policy
    from console.gateway.limits import EndpointLimits
    from tests.gateway.endpoint import running_endpoint

    http_layer.MAX_ANSWER_BYTES = spec["answer_cap"]
    policy = Policy.model_validate(spec["policy"])
    with running_endpoint(policy, log_url=spec["log_url"], limits=EndpointLimits(**spec["limits"])) as live:
        print(json.dumps({"url": live.url, "host": live.server.host, "port": live.server.port,
                          "token": live.token}), flush=True)
        sys.stdin.read()  # until the test closes our stdin
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
