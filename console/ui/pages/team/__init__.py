"""The Team page: the team gateway's API keys and its published policy."""
