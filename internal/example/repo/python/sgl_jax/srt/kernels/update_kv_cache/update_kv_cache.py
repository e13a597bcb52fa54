"""Scatter new key/value vectors into a paged KV cache."""


def update_kv_cache(cache, new_values, slots, page_size):
    """Write new_values[i] into the global slot slots[i] of cache[page][offset].

    Returns the number of distinct pages touched. Raises ValueError on a bad slot or when
    two values target the same slot (a real kernel would race there).
    """
    if page_size <= 0:
        raise ValueError(f"update_kv_cache: page_size must be positive, got {page_size}")
    if len(new_values) != len(slots):
        raise ValueError(f"update_kv_cache: {len(new_values)} values but {len(slots)} slots")
    capacity = len(cache) * page_size
    if len(set(slots)) != len(slots):
        raise ValueError("update_kv_cache: duplicate slot in one update")
    pages = set()
    for value, slot in zip(new_values, slots):
        if not 0 <= slot < capacity:
            raise ValueError(f"update_kv_cache: slot {slot} outside cache of {capacity} slots")
        page, offset = divmod(slot, page_size)
        cache[page][offset] = list(value)
        pages.add(page)
    return len(pages)
