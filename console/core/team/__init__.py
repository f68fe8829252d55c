"""The team gateway's shared state: what several ``routedesk serve`` instances must agree on.

* ``health_signals``: a circuit opened on one instance opens on the others (Redis pub/sub or
  PostgreSQL LISTEN/NOTIFY).
* ``api_keys``: per-user and per-team API keys, stored hashed in PostgreSQL.
* ``published``: the policy version the console published for the team.
* ``settings``: the gateway's config file.

Budget reservations live with the other budget code (``budget.reservations`` and its stores).
A single desk uses none of this: nothing here is imported unless a team store is configured.
"""
