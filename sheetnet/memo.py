"""What a long-lived object (a layout, a sheet's cells) determines, worked out once and remembered.

A class check's worker asks the same questions of the same layout for every workbook. Objects are
keyed by identity and kept alive with their entry, so an id is never reused while remembered; the
table is bounded (cleared when full), a worker sees only a few layouts and sheets at a time.
"""

from __future__ import annotations

from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self, most: int):
        self._most = most
        self._kept: dict[tuple, tuple[object, object]] = {}

    def get(self, owner: object, key: Hashable, make: Callable[[], T]) -> T:
        """make()'s value for (owner, key), made on the first call."""
        k = (id(owner), key)
        hit = self._kept.get(k)
        if hit is None or hit[0] is not owner:
            if len(self._kept) > self._most:
                self._kept.clear()
            hit = self._kept[k] = (owner, make())
        return hit[1]
