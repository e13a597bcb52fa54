"""Benchmark the toy grouped matmul (megablox gmm) kernel."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")))

from sgl_jax.srt.kernels.gmm import gmm  # noqa: E402
from sgl_jax.srt.kernels.utils.perf import run_benchmark_cases  # noqa: E402

# (m, k, n, num_groups)
SHAPES = [(128, 32, 32, 4), (256, 32, 16, 8), (64, 64, 64, 2)]


def _case(m, k, n, groups):
    lhs = [[((r + c) % 7 - 3) / 3.0 for c in range(k)] for r in range(m)]
    rhs = [[[((g + r * c) % 5 - 2) / 2.0 for c in range(n)] for r in range(k)] for g in range(groups)]
    sizes = [m // groups] * groups
    sizes[-1] += m - sum(sizes)
    return lambda: gmm(lhs, rhs, sizes)


def cases():
    return {f"m{m}-k{k}-n{n}-g{g}": _case(m, k, n, g) for m, k, n, g in SHAPES}


if __name__ == "__main__":
    sys.exit(run_benchmark_cases("megablox_gmm", cases()))
