"""Array (§7.1): a NumPy ndarray over the shared bytes, no copy."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

import numpy as np

from . import _lib
from .dtypes import resolve
from .errors import check
from .memory import Memory

__all__ = ["Array"]


class _Keeper:
    """Owns the C array handle (and through it the mapping). The ctypes buffer every view of the
    bytes leads back to holds it, so the mapping lives while any view does."""

    def __init__(self, ptr: int) -> None:
        self.ptr: Optional[int] = ptr
        self._closer = _lib.lib.zeroipc_array_close

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr is not None:
            try:
                self._closer(ptr)
            except Exception:
                pass


class Array(np.ndarray):
    """The shared Array ``name`` of ``mem`` as a 1-D ndarray of ``dtype`` (a view of the segment's
    bytes: writes are seen by every process).

    ``Array(mem, name, dtype=...)`` opens the existing array (any capacity);
    ``Array(mem, name, dtype=..., capacity=n)`` creates it zero-filled, or opens it (then the
    element size, dtype code and capacity must match: MismatchError otherwise).

    The C handle is released when the last view of the bytes (this object, its slices) is
    garbage-collected; close() / ``with`` only mark this object closed (``closed``), since NumPy
    views cannot be invalidated safely.
    """

    _keeper: Optional[_Keeper] = None
    _name: Optional[str] = None
    _closed: bool = False

    def __new__(cls, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None) -> "Array":
        dt, size, code = resolve(dtype)
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(_lib.lib.zeroipc_array_open(h, _lib.encode(name), size, code, ctypes.byref(out)))
        else:
            check(_lib.lib.zeroipc_array_create(h, _lib.encode(name), capacity, size, code, ctypes.byref(out)))
        keeper = _Keeper(out.value)
        n = _lib.lib.zeroipc_array_capacity(out.value)
        nbytes = n * size
        addr = _lib.lib.zeroipc_array_data(out.value)
        if nbytes and addr:
            buf = (ctypes.c_uint8 * nbytes).from_address(addr)
            buf._zeroipc_keeper = keeper  # the bytes' owner keeps the handle alive
            flat = np.frombuffer(buf, dtype=np.uint8)
            obj = flat.view(dt).view(cls)
        else:
            obj = np.ndarray.__new__(cls, (0,), dtype=dt)
        obj._keeper = keeper
        obj._name = name
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        if obj is not None:
            self._keeper = getattr(obj, "_keeper", None)
            self._name = getattr(obj, "_name", None)

    def __array_wrap__(self, obj: np.ndarray, context: Any = None, return_scalar: bool = False) -> Any:
        """A ufunc's or reduction's result is an Array only when it lies in the shared bytes (``a += 1``,
        ``np.add(a, 1, out=a)``); new results (``a * 2``, ``a.mean()``) live in this process's memory
        and are plain ndarrays, or scalars for 0-d results, so nobody mistakes them for shared data."""
        if obj is self or (self.size and np.may_share_memory(obj, self)):
            return super().__array_wrap__(obj, context)
        plain = obj.view(np.ndarray)
        return plain[()] if plain.ndim == 0 else plain

    @property
    def name(self) -> Optional[str]:
        """The structure's name in its segment."""
        return self._name

    @property
    def capacity(self) -> int:
        """Elements in the shared array."""
        keeper = self._keeper
        return _lib.lib.zeroipc_array_capacity(keeper.ptr) if keeper and keeper.ptr else len(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Marks this object closed and drops its own reference to the handle; the handle goes
        with the last view of the bytes."""
        self._closed = True

    def __enter__(self) -> "Array":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
