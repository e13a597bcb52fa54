"""sgl_jax example package: a tiny, dependency-free stand-in for SGLang-JAX used by tpuci's own tests."""

from sgl_jax.version import __version__

__all__ = ["__version__"]
