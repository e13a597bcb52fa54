"""Where the Pallas kernels run: compiled for the TPU, or in Pallas's interpreter elsewhere."""

import jax


def interpret():
    """True off TPU: pallas_call(..., interpret=True) runs the kernel body as ordinary XLA."""
    return jax.default_backend() != "tpu"
