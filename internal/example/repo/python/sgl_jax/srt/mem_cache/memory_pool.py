"""A paged KV cache pool with a free-page allocator; the cache is a JAX array."""

import jax.numpy as jnp

from sgl_jax.srt.kernels.update_kv_cache import update_kv_cache
from sgl_jax.srt.utils import cdiv


class PagedAllocator:
    """Hands out whole pages; freeing returns them for reuse in ascending order."""

    def __init__(self, num_pages):
        if num_pages <= 0:
            raise ValueError(f"allocator: num_pages must be positive, got {num_pages}")
        self.free_pages = list(range(num_pages))

    def alloc(self, count):
        if count > len(self.free_pages):
            raise MemoryError(f"allocator: {count} pages requested, {len(self.free_pages)} free")
        taken, self.free_pages = self.free_pages[:count], self.free_pages[count:]
        return taken

    def free(self, pages):
        self.free_pages = sorted(set(self.free_pages) | set(pages))


class KVCachePool:
    """One vector per token slot, in pages of page_size slots, written by the Pallas kernel."""

    def __init__(self, num_pages, page_size, head_dim, dtype=jnp.float32):
        self.page_size = page_size
        self.allocator = PagedAllocator(num_pages)
        self.cache = jnp.zeros((num_pages, page_size, head_dim), dtype)

    def write_sequence(self, values):
        """Allocate pages for a sequence, store its vectors and return the slot of each token."""
        pages = self.allocator.alloc(cdiv(values.shape[0], self.page_size))
        slots = [pages[i // self.page_size] * self.page_size + i % self.page_size for i in range(values.shape[0])]
        self.cache = update_kv_cache(self.cache, values, slots)
        return slots

    def read(self, slots):
        return self.cache.reshape(-1, self.cache.shape[2])[jnp.asarray(slots)]
