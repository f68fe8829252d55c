"""Shadow mode: a live pilot of a cheaper model on a sampled share of a route's real requests.

``sampling`` picks the requests (by request id), ``cap`` keeps each route's daily spend under its
limit, ``dispatch`` sends the copies in the background for the Engine, and ``store`` keeps the
collected cases in the log's pilot tables, where ``routedesk pilot --from-shadow`` grades them.
"""
