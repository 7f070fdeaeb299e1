"""AtomicU64: real atomic operations on one u64 element of a shared Array, through the C
library (zeroipc_atomic_*_u64).

Python has no atomic instruction of its own: ``a[0] += 1`` on a NumPy view is a plain load and
a plain store, and two processes doing it lose increments. These calls run the hardware's
atomics (sequentially consistent) on the element's word, the same ones C++
``std::atomic_ref<std::uint64_t>`` and C ``zeroipc_atomic_*_u64`` use, so Python, C and C++
processes can share a counter or a compare-and-swap protocol::

    counter = zeroipc.Array(mem, "counter", dtype=np.uint64, capacity=1)
    c = zeroipc.AtomicU64(counter, 0)
    old = c.load()
    while True:
        ok, old = c.compare_exchange(old, old + 1)
        if ok:
            break

Each call is one ctypes call (about a microsecond), not a Python-level lock.
"""

from __future__ import annotations

import ctypes
import operator
from typing import Tuple

import numpy as np

from . import _lib
from .array import Array

__all__ = ["AtomicU64"]

_MASK = (1 << 64) - 1


def _u64(value: int, what: str) -> int:
    v = operator.index(value)
    if not 0 <= v <= _MASK:
        raise OverflowError(f"{what} {v} is not a u64 (0..2**64-1)")
    return v


class AtomicU64:
    """Element ``index`` of the 1-D ``np.uint64`` zeroipc.Array ``array`` (or a slice of one) as an
    atomic word. Holds a reference to ``array``, so the mapping lives as long as this object.

    Raises TypeError when ``array`` is not a zeroipc.Array of native uint64, IndexError when
    ``index`` is out of range (negative indexes count from the end), ValueError when the
    element is not 8-byte aligned.
    """

    __slots__ = ("_array", "_addr", "_index")

    def __init__(self, array: Array, index: int = 0) -> None:
        if not isinstance(array, Array):
            raise TypeError(f"AtomicU64 needs a zeroipc.Array (shared memory), got {type(array).__name__}")
        if array.dtype != np.dtype(np.uint64) or not array.dtype.isnative:
            raise TypeError(f"AtomicU64 needs an array of native uint64, got dtype {array.dtype}")
        if array.ndim != 1:
            raise TypeError(f"AtomicU64 needs a 1-D array, got {array.ndim} dimensions")
        i = operator.index(index)
        n = array.shape[0]
        if not -n <= i < n:
            raise IndexError(f"index {index} out of range for an array of {n} elements")
        if i < 0:
            i += n
        if not array.flags.writeable:
            raise ValueError("AtomicU64 needs a writeable array")
        addr = array.__array_interface__["data"][0] + i * array.strides[0]
        if addr % 8 != 0:
            raise ValueError(f"element {i} is at {addr:#x}, not 8-byte aligned")
        self._array = array  # keeps the bytes (and the C handle) alive
        self._addr = addr
        self._index = i

    @property
    def array(self) -> Array:
        return self._array

    @property
    def index(self) -> int:
        return self._index

    @property
    def address(self) -> int:
        """The word's address in this process."""
        return self._addr

    def load(self) -> int:
        """The current value."""
        return _lib.lib.zeroipc_atomic_load_u64(self._addr)

    def store(self, value: int) -> None:
        """Stores ``value`` (0..2**64-1)."""
        _lib.lib.zeroipc_atomic_store_u64(self._addr, _u64(value, "value"))

    def fetch_add(self, delta: int) -> int:
        """Adds ``delta`` (modulo 2**64; a negative delta subtracts, -2**64 < delta < 2**64) and
        returns the value before."""
        d = operator.index(delta)
        if not -(1 << 64) < d <= _MASK:
            raise OverflowError(f"delta {d} out of range (-2**64 < delta < 2**64)")
        return _lib.lib.zeroipc_atomic_fetch_add_u64(self._addr, d & _MASK)

    def compare_exchange(self, expected: int, desired: int) -> Tuple[bool, int]:
        """If the value is ``expected``, stores ``desired``: ``(True, expected)``; else leaves it:
        ``(False, current value)``. Strong (never fails spuriously)."""
        e = ctypes.c_uint64(_u64(expected, "expected"))  # per call: threads may share this object
        ok = _lib.lib.zeroipc_atomic_compare_exchange_u64(self._addr, ctypes.byref(e), _u64(desired, "desired"))
        return bool(ok), e.value

    def __int__(self) -> int:
        return self.load()

    def __repr__(self) -> str:
        return f"<zeroipc.AtomicU64 {self._array.name!r}[{self._index}] = {self.load()}>"
