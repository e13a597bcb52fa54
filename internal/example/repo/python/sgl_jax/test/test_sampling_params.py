"""pytest-style tests (plain functions) for sampling parameters and the sampler.

tpuci runs this file with `python -m pytest -q`; `python test_sampling_params.py` runs the same
functions without pytest.
"""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

from sgl_jax.srt.sampling import SamplingParams, sample  # noqa: E402


def _raises(fn, exc_type):
    try:
        fn()
    except exc_type:
        return True
    return False


def test_defaults_are_valid():
    params = SamplingParams()
    params.verify()
    assert not params.is_greedy


def test_zero_temperature_is_greedy():
    assert SamplingParams(temperature=0.0).is_greedy
    assert SamplingParams(top_k=1).is_greedy


def test_from_dict_rejects_unknown_keys():
    assert _raises(lambda: SamplingParams.from_dict({"temprature": 0.5}), ValueError)
    assert SamplingParams.from_dict({"max_new_tokens": 3}).max_new_tokens == 3
    assert SamplingParams.from_dict(None) == SamplingParams()


def test_invalid_values():
    for bad in ({"temperature": -1.0}, {"top_p": 0.0}, {"top_p": 1.5}, {"top_k": 0}, {"max_new_tokens": -2}):
        assert _raises(lambda bad=bad: SamplingParams.from_dict(bad), ValueError), bad


def test_greedy_sampling_picks_argmax():
    assert sample([0.1, 2.0, -1.0], SamplingParams(temperature=0.0)) == 1
    assert sample([1.0, 1.0], SamplingParams(temperature=0.0)) == 0


def test_seeded_sampling_is_reproducible_and_respects_top_k():
    logits = [0.5, 0.4, 0.3, -5.0]
    params = SamplingParams(temperature=1.0, top_k=2, seed=3)
    draws = [sample(logits, params) for _ in range(20)]
    assert draws == [sample(logits, params) for _ in range(20)]
    assert set(draws) <= {0, 1}


if __name__ == "__main__":
    failures = 0
    for _name, _fn in sorted(globals().items()):
        if _name.startswith("test_") and callable(_fn):
            try:
                _fn()
                print(f"{_name} ... ok")
            except AssertionError as _exc:
                failures += 1
                print(f"{_name} ... FAIL {_exc}")
    sys.exit(1 if failures else 0)
