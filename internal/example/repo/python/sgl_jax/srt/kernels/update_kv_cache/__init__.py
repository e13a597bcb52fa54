from .update_kv_cache import update_kv_cache, update_kv_cache_reference

__all__ = ["update_kv_cache", "update_kv_cache_reference"]
