from .sampler import sample
from .sampling_params import SamplingParams

__all__ = ["SamplingParams", "sample"]
