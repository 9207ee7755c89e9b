"""Helpers for Textual's caches."""

from __future__ import annotations

from textual.cache import LRUCache


def empty_cache(cache: LRUCache) -> None:
    """Remove every entry of *cache* one by one.

    ``LRUCache.clear()`` (Textual 8.2) leaves its entries linked in a ring,
    which only a full garbage collection frees, with every strip or row in it.
    """
    for key in list(cache.keys()):
        cache.discard(key)
