"""Latency histograms: log-spaced buckets, their compact encoding, and percentiles read from them.

Buckets are ``[LOW_MS·G^k, LOW_MS·G^(k+1))`` for ``k = 0 … BUCKETS-1`` with ``G = 1.05`` (5% wide),
from 0.01 ms to one hour; values outside are clamped to the first or last bucket. A histogram is
stored as sorted ``(bucket uint16, count uint32)`` little-endian pairs (6 bytes per non-empty
bucket), so one that saw 30 calls takes ~100 bytes and a year of them decodes in one numpy call.

Error bound. A value is represented by its bucket's geometric midpoint ``LOW_MS·G^(k+½)``, which is
within a factor ``√G`` of every value in the bucket. A percentile is computed like numpy's default
(linear) method: the two order statistics around rank ``(n-1)·q`` are interpolated, each replaced
by its bucket's midpoint. A positive-weight mix of values each within ``×√G`` of the true ones is
within ``×√G`` of the true mix, so for values in [0.01 ms, 1 h]::

    |estimate / np.percentile(values, q) - 1| <= √1.05 - 1 ≈ 2.47 %   (``RELATIVE_ERROR``)

Counts are exact, so ``n`` is exact.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from bisect import bisect_left
from itertools import chain
from typing import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

GROWTH = 1.05
LOW_MS = 0.01
HIGH_MS = 3_600_000.0
BUCKETS = math.ceil(math.log(HIGH_MS / LOW_MS) / math.log(GROWTH))
#: The largest relative difference between a percentile read here and numpy's over the raw values.
RELATIVE_ERROR = math.sqrt(GROWTH) - 1

_LOG_G = math.log(GROWTH)
_BIG_ENDIAN = sys.byteorder == "big"  # blobs are little-endian everywhere
_PAIR = struct.Struct("<HI")
_DTYPE = np.dtype([("bucket", "<u2"), ("count", "<u4")])
#: Each bucket's representative value (its geometric midpoint), ms.
MIDPOINTS = LOW_MS * GROWTH ** (np.arange(BUCKETS) + 0.5)

Counts = dict[int, int]  # bucket -> count, for the write path's small merges


def bucket_of(ms: float) -> int:
    """The bucket a single value falls in (the write path: one call per attempt)."""
    if not ms > LOW_MS:  # also catches NaN
        return 0
    return min(int(math.log(ms / LOW_MS) / _LOG_G), BUCKETS - 1)


def buckets_of(values: ArrayLike) -> np.ndarray:
    """``bucket_of`` over an array (the read path and the migration)."""
    clipped = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=LOW_MS), LOW_MS, None)
    buckets: np.ndarray = np.minimum((np.log(clipped / LOW_MS) / _LOG_G).astype(np.int64), BUCKETS - 1)
    return buckets


def encode(counts: Mapping[int, int]) -> bytes:
    """Sorted (bucket, count) pairs; empty buckets are left out."""
    pairs = sorted((b, n) for b, n in counts.items() if n)
    return struct.pack("<" + "HI" * len(pairs), *chain.from_iterable(pairs))


def decode(blob: bytes | None) -> Counts:
    return {b: n for b, n in _PAIR.iter_unpack(blob)} if blob else {}


def merged(blob: bytes | None, delta: Mapping[int, int]) -> bytes:
    """``blob`` with ``delta`` added, re-encoded.

    The write path calls this once per day-key per commit with a delta of a bucket or two, so it
    works on the blob as 16-bit words (bucket, count low, count high) in C-level arrays and touches
    only the delta's buckets, rather than decoding the whole histogram."""
    words = array("H")
    words.frombytes(blob or b"")
    if _BIG_ENDIAN:
        words.byteswap()
    buckets = words[0::3]
    for bucket, n in sorted(delta.items()):
        if not n:
            continue
        i = bisect_left(buckets, bucket)
        if i < len(buckets) and buckets[i] == bucket:
            total = words[3 * i + 1] + (words[3 * i + 2] << 16) + n
            words[3 * i + 1], words[3 * i + 2] = total & 0xFFFF, total >> 16
        else:
            words[3 * i:3 * i] = array("H", (bucket, n & 0xFFFF, n >> 16))
            buckets.insert(i, bucket)
    if _BIG_ENDIAN:
        words.byteswap()
    return words.tobytes()


def dense_sum(blobs: Sequence[bytes], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Add many encoded histograms into one dense row per group: ``(n_groups, BUCKETS)`` counts.

    One join, one ``frombuffer`` and one ``bincount``: a year of daily histograms costs a few ms."""
    if not len(blobs):
        return np.zeros((n_groups, BUCKETS), dtype=np.int64)
    sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // _DTYPE.itemsize
    pairs = np.frombuffer(b"".join(blobs), dtype=_DTYPE)
    index = np.repeat(np.asarray(groups, dtype=np.int64) * BUCKETS, sizes) + pairs["bucket"]
    flat = np.bincount(index, weights=pairs["count"], minlength=n_groups * BUCKETS)
    return flat.reshape(n_groups, BUCKETS).round().astype(np.int64)


def dense_add_values(out: np.ndarray, groups: np.ndarray, values: np.ndarray) -> None:
    """Count raw values into ``out`` (``(n_groups, BUCKETS)``) by group, in place."""
    if len(values):
        np.add.at(out, (np.asarray(groups, dtype=np.int64), buckets_of(values)), 1)


def percentiles(counts: np.ndarray, qs: Iterable[float]) -> list[float | None]:
    """Percentiles (0–100) of one dense histogram, numpy's linear method on bucket midpoints."""
    n = int(counts.sum())
    if n == 0:
        return [None for _ in qs]
    cumulative = np.cumsum(counts)
    out: list[float | None] = []
    for q in qs:
        rank = (n - 1) * q / 100.0
        lo = math.floor(rank)
        hi = min(lo + 1, n - 1)
        below, above = (float(MIDPOINTS[np.searchsorted(cumulative, r, side="right")]) for r in (lo, hi))
        out.append(below + (rank - lo) * (above - below))
    return out


__all__ = [
    "GROWTH", "LOW_MS", "HIGH_MS", "BUCKETS", "RELATIVE_ERROR", "MIDPOINTS", "bucket_of", "buckets_of", "encode",
    "decode", "merged", "dense_sum", "dense_add_values", "percentiles",
]
