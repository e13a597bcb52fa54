"""Toy "kernels": blocked pure-Python versions of the Pallas kernels SGLang-JAX ships."""
