"""Benchmark the Pallas flash-attention kernel on fixed prefill and decode shapes."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from sgl_jax.srt.kernels.flash_attention import flash_attention  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (mode, heads, query tokens, kv tokens, head_dim, block_q, block_k)
SHAPES = [
    ("prefill", 2, 256, 256, 64, 64, 64),
    ("prefill", 1, 512, 512, 32, 128, 128),
    ("decode", 4, 16, 1024, 64, 16, 128),
]


def _case(heads, tq, tk, d, bq, bk):
    rng = np.random.default_rng(tq * 1000 + tk)  # numpy: no compile before the kernel's own
    q, k, v = (jnp.asarray(rng.standard_normal((heads, n, d), np.float32)) for n in (tq, tk, tk))
    return lambda: flash_attention(q, k, v, block_q=bq, block_k=bk)


def cases():
    return {
        f"{mode}-h{h}-q{tq}-kv{tk}-d{d}-bq{bq}-bk{bk}": _case(h, tq, tk, d, bq, bk)
        for mode, h, tq, tk, d, bq, bk in SHAPES
    }


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("flash_attention", cases()))
