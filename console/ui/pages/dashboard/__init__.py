"""The dashboards page: spend, failure and fallback rates, latency, drift and the requests behind them."""
