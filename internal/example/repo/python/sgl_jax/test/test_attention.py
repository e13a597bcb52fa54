"""Unit tests for the reference attention layer."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

from sgl_jax.srt.layers import Attention, scaled_dot_product_attention  # noqa: E402
from sgl_jax.srt.utils import allclose  # noqa: E402


class TestScaledDotProductAttention(unittest.TestCase):
    def test_single_key_returns_its_value(self):
        out = scaled_dot_product_attention([[1.0, 0.0]], [[0.5, 0.5]], [[3.0, -1.0]])
        self.assertTrue(allclose(out, [[3.0, -1.0]]))

    def test_causal_first_query_sees_only_first_key(self):
        k = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
        v = [[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]
        out = scaled_dot_product_attention(k, k, v, causal=True)
        self.assertTrue(allclose(out[0], v[0]))
        full = scaled_dot_product_attention(k, k, v, causal=False)
        self.assertFalse(allclose(out[0], full[0]))

    def test_decode_query_sees_everything(self):
        k = [[0.1 * i, -0.2 * i] for i in range(5)]
        v = [[float(i), 1.0] for i in range(5)]
        q = [[0.3, 0.3]]
        self.assertTrue(allclose(scaled_dot_product_attention(q, k, v), scaled_dot_product_attention(q, k, v, causal=False)))

    def test_uniform_scores_average_values(self):
        out = scaled_dot_product_attention([[0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]], [[2.0], [4.0]], causal=False)
        self.assertTrue(allclose(out, [[3.0]]))

    def test_errors(self):
        with self.assertRaises(ValueError):
            scaled_dot_product_attention([[1.0]], [[1.0]], [])
        with self.assertRaises(ValueError):
            Attention(num_heads=3, num_kv_heads=2, head_dim=4)


class TestGroupedAttention(unittest.TestCase):
    def test_heads_sharing_kv_differ_only_by_query(self):
        attn = Attention(num_heads=2, num_kv_heads=1, head_dim=4)
        q = [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]
        k = [[0.5, -0.5, 0.5, -0.5], [0.1, 0.1, 0.1, 0.1]]
        v = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
        out = attn([0, 1], [q, q], [k], [v])
        self.assertEqual(len(out), 2)
        self.assertTrue(allclose(out[0], out[1]))


if __name__ == "__main__":
    unittest.main()
