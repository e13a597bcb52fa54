"""Unit tests for the rotary embedding layer."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import math  # noqa: E402
import unittest  # noqa: E402

from sgl_jax.srt.layers import RotaryEmbedding, apply_rotary  # noqa: E402
from sgl_jax.srt.layers.rotary_embedding import inverse_frequencies  # noqa: E402


def _norm(v):
    return math.sqrt(sum(x * x for x in v))


class TestRotaryEmbedding(unittest.TestCase):
    def test_position_zero_is_identity(self):
        vec = [0.1 * i for i in range(8)]
        self.assertEqual(apply_rotary(vec, 0), vec)

    def test_rotation_preserves_norm(self):
        vec = [1.0, -2.0, 0.5, 3.0, 0.0, 1.5]
        for pos in (1, 7, 100):
            self.assertAlmostEqual(_norm(apply_rotary(vec, pos)), _norm(vec))

    def test_score_depends_only_on_relative_position(self):
        rope = RotaryEmbedding(head_dim=8)
        q = [0.3, -0.1, 0.8, 0.2, -0.5, 0.4, 0.9, -0.7]
        k = [-0.2, 0.6, 0.1, -0.9, 0.3, 0.5, -0.4, 0.7]
        self.assertAlmostEqual(rope.relative_score(q, k, 5, 2), rope.relative_score(q, k, 13, 10))
        self.assertNotAlmostEqual(rope.relative_score(q, k, 5, 2), rope.relative_score(q, k, 6, 2))

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            inverse_frequencies(7)
        rope = RotaryEmbedding(head_dim=4, max_position=8)
        with self.assertRaises(ValueError):
            rope([8], [[1.0] * 4], [[1.0] * 4])
        with self.assertRaises(ValueError):
            rope([0, 1], [[1.0] * 4], [[1.0] * 4])


if __name__ == "__main__":
    unittest.main()
