from .megablox_gmm import gmm, gmm_reference

__all__ = ["gmm", "gmm_reference"]
