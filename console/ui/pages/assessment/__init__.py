"""The Assessment page: where the money goes, and which swaps to pilot first."""
