"""Judging: how practitioners read loss curves, as code. Reads the store, knows nothing of Textual."""
