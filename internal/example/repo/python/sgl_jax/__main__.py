"""python -m sgl_jax prints the package version."""

from sgl_jax.version import __version__

print(__version__)
