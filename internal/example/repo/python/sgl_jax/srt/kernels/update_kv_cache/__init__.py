from .update_kv_cache import update_kv_cache

__all__ = ["update_kv_cache"]
