"""The Keys page: each provider of the open policies with where its key is, and what to do about it."""
