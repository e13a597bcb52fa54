from .megablox_gmm import gmm

__all__ = ["gmm"]
