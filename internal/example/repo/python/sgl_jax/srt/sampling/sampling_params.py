"""Sampling parameters of a generation request."""

from dataclasses import dataclass, field, fields

_EPS = 1e-6


@dataclass
class SamplingParams:
    max_new_tokens: int = 16
    temperature: float = 1.0
    top_k: int = -1
    top_p: float = 1.0
    seed: int = 0
    stop: list = field(default_factory=list)

    @classmethod
    def from_dict(cls, values):
        """Build from a request's JSON object; unknown keys are an error, not silently ignored."""
        if values is None:
            return cls()
        if not isinstance(values, dict):
            raise ValueError("sampling_params must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown sampling parameter(s): {', '.join(unknown)}")
        params = cls(**values)
        params.verify()
        return params

    def verify(self):
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be a non-negative integer, got {self.max_new_tokens!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k == 0 or self.top_k < -1:
            raise ValueError(f"top_k must be -1 (disabled) or >= 1, got {self.top_k}")

    @property
    def is_greedy(self):
        return self.temperature < _EPS or self.top_k == 1
