"""Serving entrypoints."""
