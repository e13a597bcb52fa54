"""KV cache memory management."""
