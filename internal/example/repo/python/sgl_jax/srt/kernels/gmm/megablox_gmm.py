"""Grouped matrix multiplication: consecutive row groups of lhs use their own rhs matrix."""

from ...utils.common_utils import matmul


def gmm(lhs, rhs, group_sizes):
    """lhs[m][k] split into len(group_sizes) consecutive groups; group g uses rhs[g][k][n]."""
    if len(group_sizes) != len(rhs):
        raise ValueError(f"gmm: {len(group_sizes)} group sizes but {len(rhs)} rhs matrices")
    if sum(group_sizes) != len(lhs):
        raise ValueError(f"gmm: group sizes sum to {sum(group_sizes)}, lhs has {len(lhs)} rows")
    if any(size < 0 for size in group_sizes):
        raise ValueError("gmm: negative group size")
    out, start = [], 0
    for size, weights in zip(group_sizes, rhs):
        if size:
            out.extend(matmul(lhs[start : start + size], weights))
        start += size
    return out
