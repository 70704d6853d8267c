"""Exact duplicate-row detection over a whole file, in about 9 bytes a row.

A set of row hashes would cost ~90 bytes a row (one Python int and one slot each). Instead each
valid row's 64-bit hash (CPython's SipHash, randomly seeded per process) is appended to one of
256 ``array('q')`` buckets, chosen by the hash's top bits. The chunk's hashes are sorted first,
so each bucket receives one contiguous slice: no per-row Python work. At the end each bucket,
~1/256 of the rows, is checked on its own with a set, so the temporary memory stays small.

Hashes only say which rows *may* repeat. ``DuplicateLocator`` then finds them in a second read
of the file and compares the rows' bytes, so a hash collision can never pass for a duplicate.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter

BUCKETS = 256
_SPAN = (1 << 64) // BUCKETS
_BOUNDARIES = tuple(-(1 << 63) + index * _SPAN for index in range(1, BUCKETS))


class DuplicateFinder:
    def __init__(self) -> None:
        self._buckets = [array("q") for _ in range(BUCKETS)]
        self.rows = 0

    def add(self, keys: list[int]) -> None:
        """Remember the hashes of a run of rows (the list is sorted in place)."""
        keys.sort()
        self.rows += len(keys)
        start = 0
        for bucket, boundary in zip(self._buckets, _BOUNDARIES, strict=False):
            end = bisect_left(keys, boundary, start)
            if end > start:
                bucket.extend(keys[start:end])
            start = end
        self._buckets[-1].extend(keys[start:])

    def repeated_keys(self) -> tuple[set[int], int]:
        """Hashes seen more than once, and how many rows repeat an earlier hash."""
        repeated: set[int] = set()
        extra_rows = 0
        for bucket in self._buckets:
            if len(set(bucket)) != len(bucket):
                for key, count in Counter(bucket).items():
                    if count > 1:
                        repeated.add(key)
                        extra_rows += count - 1
        return repeated, extra_rows


class DuplicateLocator:
    """Second read: which rows with a repeated hash really repeat an earlier row, byte for byte."""

    def __init__(self, repeated_keys: set[int]) -> None:
        self._targets = repeated_keys
        self._first_rows: dict[int, set[bytes]] = {}

    def repeats(self, keys: list[int], rows: list[bytes]) -> list[int]:
        """Offsets (within this run) of the rows that repeat an earlier row."""
        if self._targets.isdisjoint(keys):
            return []
        found = []
        for offset, key in enumerate(keys):
            if key not in self._targets:
                continue
            seen = self._first_rows.setdefault(key, set())
            if rows[offset] in seen:
                found.append(offset)
            else:
                seen.add(rows[offset])
        return found
