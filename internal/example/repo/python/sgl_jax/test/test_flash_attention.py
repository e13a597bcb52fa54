"""The Pallas flash-attention kernel against its jax.numpy reference."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

import unittest  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from sgl_jax.srt.kernels.flash_attention import attention_reference, flash_attention  # noqa: E402


def _qkv(heads, tq, tk, d, seed):
    kq, kk, kv = jax.random.split(jax.random.key(seed), 3)
    return (jax.random.normal(kq, (heads, tq, d)), jax.random.normal(kk, (heads, tk, d)),
            jax.random.normal(kv, (heads, tk, d)))


class TestFlashAttention(unittest.TestCase):
    def test_matches_reference(self):
        for heads, tq, tk, bq, bk, causal in (
            (2, 32, 32, 16, 8, True),  # prefill
            (1, 8, 64, 8, 16, True),  # decode-like: the queries are the last tokens
            (2, 16, 48, 16, 16, False),
        ):
            q, k, v = _qkv(heads, tq, tk, 16, tq + tk)
            with self.subTest(tq=tq, tk=tk, bq=bq, bk=bk, causal=causal):
                got = flash_attention(q, k, v, block_q=bq, block_k=bk, causal=causal)
                want = attention_reference(q, k, v, causal=causal)
                self.assertLess(float(jnp.abs(got - want).max()), 1e-4)

    def test_large_scores_are_stable(self):
        q = jnp.full((1, 8, 4), 50.0)
        k = jnp.concatenate([jnp.full((1, 8, 4), 50.0), jnp.full((1, 8, 4), -50.0)], axis=1)
        v = jnp.arange(16.0).reshape(1, 16, 1)
        got = flash_attention(q, k, v, block_q=8, block_k=8, causal=False)
        self.assertTrue(bool(jnp.isfinite(got).all()))
        self.assertLess(float(jnp.abs(got - attention_reference(q, k, v, causal=False)).max()), 1e-4)

    def test_bad_blocks(self):
        q, k, v = _qkv(1, 8, 8, 4, 0)
        for bq, bk in ((0, 8), (3, 8), (8, 5)):
            with self.subTest(bq=bq, bk=bk), self.assertRaises(ValueError):
                flash_attention(q, k, v, block_q=bq, block_k=bk)


if __name__ == "__main__":
    unittest.main()
