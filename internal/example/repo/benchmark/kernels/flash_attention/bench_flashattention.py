"""Benchmark the toy flash-attention kernel on fixed prefill and decode shapes."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

import random  # noqa: E402

from sgl_jax.srt.kernels.flash_attention import flash_attention  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (mode, query tokens, kv tokens, head_dim, block_q, block_k)
SHAPES = [
    ("prefill", 64, 64, 16, 16, 16),
    ("prefill", 96, 96, 8, 32, 32),
    ("decode", 8, 512, 16, 8, 64),
    ("decode", 16, 256, 16, 16, 32),
]


def _case(tq, tk, d, bq, bk):
    rng = random.Random(tq * 1000 + tk)
    q = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(tq)]
    k = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(tk)]
    v = [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(tk)]
    return lambda: flash_attention(q, k, v, block_q=bq, block_k=bk)


def cases():
    return {f"{mode}-q{tq}-kv{tk}-d{d}-bq{bq}-bk{bk}": _case(tq, tk, d, bq, bk) for mode, tq, tk, d, bq, bk in SHAPES}


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("flash_attention", cases()))
