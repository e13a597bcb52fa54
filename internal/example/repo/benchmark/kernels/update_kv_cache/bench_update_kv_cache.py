"""Benchmark the Pallas KV-cache update kernel for several page sizes and update lengths."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from sgl_jax.srt.kernels.update_kv_cache import update_kv_cache  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (num_pages, page_size, new tokens, head_dim)
SHAPES = [(512, 16, 1024, 128), (256, 64, 2048, 64), (1024, 8, 512, 128)]


def _case(num_pages, page_size, new_len, head_dim):
    capacity = num_pages * page_size
    slots = [(i * 7919) % capacity for i in range(new_len)]
    values = jnp.asarray(np.random.default_rng(new_len).standard_normal((new_len, head_dim), np.float32))
    state = {"cache": jnp.zeros((num_pages, page_size, head_dim))}

    def run():  # the cache is donated to the kernel: keep the returned one
        state["cache"] = update_kv_cache(state["cache"], values, slots)
        return state["cache"]

    return run


def cases():
    return {f"pages{p}-ps{ps}-new{n}-d{d}": _case(p, ps, n, d) for p, ps, n, d in SHAPES}


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("update_kv_cache", cases()))
