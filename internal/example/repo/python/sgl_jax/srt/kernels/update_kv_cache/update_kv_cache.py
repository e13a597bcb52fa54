"""Scatter new key/value vectors into a paged KV cache: a Pallas kernel and its reference.

cache[num_pages, page_size, d] is updated in place (input_output_aliases); token i goes to
the global slot slots[i], i.e. page slots[i] // page_size, offset slots[i] % page_size.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import pallas as pl

from sgl_jax.srt.kernels.utils.backend import interpret


def _update_kernel(slots_ref, new_ref, cache_in_ref, cache_ref, *, page_size):
    del cache_in_ref  # aliased to cache_ref: the untouched slots keep their values

    def body(i, carry):
        slot = slots_ref[i]
        page, offset = slot // page_size, slot % page_size
        cache_ref[pl.ds(page, 1), pl.ds(offset, 1), :] = new_ref[pl.ds(i, 1), :][None]
        return carry

    jax.lax.fori_loop(0, new_ref.shape[0], body, 0)


@functools.partial(jax.jit, donate_argnums=(0,))
def _update(cache, new_values, slots):
    kernel = functools.partial(_update_kernel, page_size=cache.shape[1])
    return pl.pallas_call(
        kernel,
        out_shape=jax.ShapeDtypeStruct(cache.shape, cache.dtype),
        input_output_aliases={2: 0},
        interpret=interpret(),
    )(slots, new_values.astype(cache.dtype), cache)


def check_slots(slots, capacity):
    """Refuse out-of-range and repeated slots (two writes to one slot would race on a TPU)."""
    slots = np.asarray(slots)
    if slots.size and (slots.min() < 0 or slots.max() >= capacity):
        raise ValueError(f"update_kv_cache: slot outside cache of {capacity} slots: {slots.tolist()}")
    if len(np.unique(slots)) != len(slots):
        raise ValueError("update_kv_cache: duplicate slot in one update")


def update_kv_cache(cache, new_values, slots):
    """Write new_values[i] into slot slots[i] of cache; return the new cache (cache is donated)."""
    if new_values.shape[0] != len(slots):
        raise ValueError(f"update_kv_cache: {new_values.shape[0]} values but {len(slots)} slots")
    if new_values.shape[1:] != cache.shape[2:]:
        raise ValueError(f"update_kv_cache: values {new_values.shape} do not fit cache {cache.shape}")
    check_slots(slots, cache.shape[0] * cache.shape[1])
    return _update(cache, new_values, jnp.asarray(slots, jnp.int32))


def update_kv_cache_reference(cache, new_values, slots):
    """The same scatter in jax.numpy."""
    flat = cache.reshape(-1, cache.shape[2]).at[jnp.asarray(slots)].set(new_values.astype(cache.dtype))
    return flat.reshape(cache.shape)
