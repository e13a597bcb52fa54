"""Benchmark the Pallas grouped matmul (megablox gmm) kernel."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from sgl_jax.srt.kernels.gmm import gmm  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (m, k, n, num_groups, block_m): equal groups of whole tiles
SHAPES = [(512, 256, 256, 4, 128), (1024, 128, 256, 8, 128), (256, 512, 512, 2, 128)]


def _case(m, k, n, groups, block_m):
    rng = np.random.default_rng(m + k + n)  # numpy: no compile before the kernel's own
    lhs = jnp.asarray(rng.standard_normal((m, k), np.float32))
    rhs = jnp.asarray(rng.standard_normal((groups, k, n), np.float32))
    sizes = (m // groups,) * groups
    return lambda: gmm(lhs, rhs, sizes, block_m=block_m)


def cases():
    return {f"m{m}-k{k}-n{n}-g{g}": _case(m, k, n, g, bm) for m, k, n, g, bm in SHAPES}


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("megablox_gmm", cases()))
