"""Models served by the example runtime."""

from .toy_model import ToyModel

__all__ = ["ToyModel"]
