"""Benchmark the toy KV-cache update kernel for several page sizes and update lengths."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

from sgl_jax.srt.kernels.update_kv_cache import update_kv_cache  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (num_pages, page_size, new tokens, head_dim)
SHAPES = [(512, 16, 4096, 32), (256, 64, 8192, 16), (1024, 8, 4096, 16)]


def _case(num_pages, page_size, new_len, head_dim):
    cache = [[None] * page_size for _ in range(num_pages)]
    capacity = num_pages * page_size
    slots = [(i * 7919) % capacity for i in range(new_len)]
    values = [[float(i % 13)] * head_dim for i in range(new_len)]
    return lambda: update_kv_cache(cache, values, slots, page_size)


def cases():
    return {f"pages{p}-ps{ps}-new{n}-d{d}": _case(p, ps, n, d) for p, ps, n, d in SHAPES}


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("update_kv_cache", cases()))
