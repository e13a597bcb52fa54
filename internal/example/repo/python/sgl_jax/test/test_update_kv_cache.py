"""The Pallas KV-cache update against its jax.numpy reference, and the paged pool on it."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from sgl_jax.srt.kernels.update_kv_cache import update_kv_cache, update_kv_cache_reference  # noqa: E402
from sgl_jax.srt.mem_cache.memory_pool import KVCachePool, PagedAllocator  # noqa: E402


class TestUpdateKVCache(unittest.TestCase):
    def test_matches_reference(self):
        cache = jax.random.normal(jax.random.key(1), (8, 4, 16))
        new = jax.random.normal(jax.random.key(2), (5, 16))
        slots = [0, 5, 31, 12, 7]
        want = update_kv_cache_reference(cache, new, slots)
        got = update_kv_cache(cache, new, slots)
        self.assertTrue(bool((got == want).all()))
        self.assertEqual(got[1, 1].tolist(), new[1].tolist())

    def test_rejects_bad_updates(self):
        for values, slots in (([[1.0]], [8]), ([[1.0]], [-1]), ([[1.0], [2.0]], [3, 3]), ([[1.0]], [0, 1])):
            with self.subTest(slots=slots), self.assertRaises(ValueError):
                update_kv_cache(jnp.zeros((2, 4, 1)), jnp.array(values), slots)


class TestKVCachePool(unittest.TestCase):
    def test_write_and_read_back(self):
        pool = KVCachePool(num_pages=4, page_size=2, head_dim=1)
        first = pool.write_sequence(jnp.arange(3.0).reshape(3, 1))
        second = pool.write_sequence(jnp.array([[10.0], [11.0]]))
        self.assertEqual(first, [0, 1, 2])
        self.assertEqual(second, [4, 5])
        self.assertEqual(pool.read(first + second).ravel().tolist(), [0.0, 1.0, 2.0, 10.0, 11.0])

    def test_allocator_exhaustion_and_reuse(self):
        alloc = PagedAllocator(2)
        pages = alloc.alloc(2)
        with self.assertRaises(MemoryError):
            alloc.alloc(1)
        alloc.free(pages[::-1])
        self.assertEqual(alloc.alloc(1), [0])


if __name__ == "__main__":
    unittest.main()
