"""Unit tests for the KV cache update kernel and the paged pool built on it."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

from sgl_jax.srt.kernels.update_kv_cache import update_kv_cache  # noqa: E402
from sgl_jax.srt.mem_cache.memory_pool import KVCachePool, PagedAllocator  # noqa: E402


class TestUpdateKVCache(unittest.TestCase):
    def test_scatter(self):
        cache = [[None] * 4 for _ in range(3)]
        touched = update_kv_cache(cache, [[1.0], [2.0], [3.0]], [0, 5, 11], page_size=4)
        self.assertEqual(touched, 3)
        self.assertEqual(cache[0][0], [1.0])
        self.assertEqual(cache[1][1], [2.0])
        self.assertEqual(cache[2][3], [3.0])

    def test_rejects_bad_updates(self):
        cache = [[None] * 4 for _ in range(2)]
        for values, slots in (([[1.0]], [8]), ([[1.0]], [-1]), ([[1.0], [2.0]], [3, 3]), ([[1.0]], [0, 1])):
            with self.subTest(slots=slots), self.assertRaises(ValueError):
                update_kv_cache(cache, values, slots, page_size=4)


class TestKVCachePool(unittest.TestCase):
    def test_write_and_read_back(self):
        pool = KVCachePool(num_pages=4, page_size=2, head_dim=1)
        first = pool.write_sequence([[float(i)] for i in range(3)])
        second = pool.write_sequence([[10.0], [11.0]])
        self.assertEqual(first, [0, 1, 2])
        self.assertEqual(second, [4, 5])
        self.assertEqual(pool.read(first + second), [[0.0], [1.0], [2.0], [10.0], [11.0]])

    def test_allocator_exhaustion_and_reuse(self):
        alloc = PagedAllocator(2)
        pages = alloc.alloc(2)
        with self.assertRaises(MemoryError):
            alloc.alloc(1)
        alloc.free(pages[::-1])
        self.assertEqual(alloc.alloc(1), [0])


if __name__ == "__main__":
    unittest.main()
