"""Offline stand-in for Hugging Face datasets: nothing can be loaded."""


def load_dataset(*args, **kwargs):
    raise RuntimeError("datasets is stubbed for the tpuci compat check; use --dataset-name random-ids")
