"""The blocked flash-attention kernel must match the reference attention."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import random  # noqa: E402
import unittest  # noqa: E402

from sgl_jax.srt.kernels.flash_attention import flash_attention  # noqa: E402
from sgl_jax.srt.layers.attention import scaled_dot_product_attention  # noqa: E402
from sgl_jax.srt.utils import allclose  # noqa: E402


def _rand(rng, rows, cols):
    return [[rng.uniform(-1, 1) for _ in range(cols)] for _ in range(rows)]


class TestFlashAttention(unittest.TestCase):
    def test_matches_reference(self):
        rng = random.Random(7)
        for tq, tk, d, bq, bk, causal in [
            (16, 16, 8, 4, 4, True),
            (16, 16, 8, 5, 3, True),
            (1, 33, 8, 8, 8, True),
            (12, 20, 4, 8, 16, False),
            (7, 7, 16, 16, 2, True),
        ]:
            q, k, v = _rand(rng, tq, d), _rand(rng, tk, d), _rand(rng, tk, d)
            with self.subTest(tq=tq, tk=tk, bq=bq, bk=bk, causal=causal):
                got = flash_attention(q, k, v, block_q=bq, block_k=bk, causal=causal)
                self.assertTrue(allclose(got, scaled_dot_product_attention(q, k, v, causal=causal), tol=1e-9))

    def test_large_scores_are_stable(self):
        q = [[50.0, 50.0]]
        k = [[50.0, 50.0], [-50.0, -50.0], [49.0, 50.0]]
        v = [[1.0], [2.0], [3.0]]
        self.assertTrue(allclose(flash_attention(q, k, v, block_k=1), scaled_dot_product_attention(q, k, v)))

    def test_bad_block_size(self):
        with self.assertRaises(ValueError):
            flash_attention([[1.0]], [[1.0]], [[1.0]], block_q=0)


if __name__ == "__main__":
    unittest.main()
