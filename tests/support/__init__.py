"""Fixtures that start the real parts tests run against (keyring daemon, llama.cpp server)."""
