"""The Local models page: GGUF files, their metadata, load/unload with settings, and a quick speed test."""
