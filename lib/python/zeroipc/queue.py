"""Queue (§7.2): a bounded FIFO of fixed-size elements."""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Union

import numpy as np

from . import _lib
from .dtypes import resolve
from .errors import check
from .memory import Handle, Memory

__all__ = ["Queue", "VARIANTS"]

#: §6.2 queue variants (lcrq and scq exist in the format but the C library does not run them).
VARIANTS = {"vyukov_bounded": 1, "lcrq": 2, "scq": 3, "spsc_ring": 4, "locked_ring": 5}
_VARIANT_NAMES = {v: k for k, v in VARIANTS.items()}


def _to_bytes(value: Any, dtype: np.dtype) -> bytes:
    """One element of ``dtype`` as its raw bytes (a scalar, tuple, np.void or 0-d/1-element array)."""
    arr = np.asarray(value, dtype=dtype) if not isinstance(value, np.ndarray) or value.dtype != dtype else value
    if arr.size != 1:
        raise ValueError(f"expected one element of {dtype}, got shape {arr.shape}")
    return arr.tobytes()


def _from_bytes(raw: bytes, dtype: np.dtype) -> Any:
    """One element (a NumPy scalar, or np.void for structured dtypes) from its raw bytes (copied)."""
    return np.frombuffer(raw, dtype=dtype)[0]


class Queue(Handle):
    """The shared Queue ``name`` of ``mem`` with elements of ``dtype``.

    ``Queue(mem, name, dtype=...)`` opens it (the variant read from its header);
    ``Queue(mem, name, dtype=..., capacity=n, variant="vyukov_bounded")`` creates it, or opens it
    (same variant, element size, dtype code and capacity). Variants: vyukov_bounded, spsc_ring,
    locked_ring (lcrq and scq raise NotSupported).
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None,
                 variant: Union[str, int] = "vyukov_bounded") -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(_lib.lib.zeroipc_queue_open(h, _lib.encode(name), self.element_size, self.dtype_code,
                                              ctypes.byref(out)))
        else:
            code = VARIANTS.get(variant) if isinstance(variant, str) else int(variant)
            if code is None:
                raise ValueError(f"unknown queue variant {variant!r} (one of {', '.join(VARIANTS)})")
            check(_lib.lib.zeroipc_queue_create(h, _lib.encode(name), code, capacity, self.element_size,
                                                self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_queue_close)
        self._buf = ctypes.create_string_buffer(self.element_size)

    def push(self, value: Any) -> bool:
        """Pushes one element: True, or False when the queue is full now."""
        return check(_lib.lib.zeroipc_queue_push(self._handle(), _to_bytes(value, self.dtype))) == _lib.OK

    def pop(self) -> Any:
        """Pops one element (a copy), or None when the queue is empty now."""
        if check(_lib.lib.zeroipc_queue_pop(self._handle(), self._buf)) != _lib.OK:
            return None
        return _from_bytes(self._buf.raw, self.dtype)

    @property
    def capacity(self) -> int:
        return _lib.lib.zeroipc_queue_capacity(self._handle())

    @property
    def variant(self) -> str:
        code = _lib.lib.zeroipc_queue_variant_of(self._handle())
        return _VARIANT_NAMES.get(code, str(code))

    def size_approx(self) -> int:
        """Elements in the queue at some moment during the call."""
        return _lib.lib.zeroipc_queue_size_approx(self._handle())

    def __len__(self) -> int:
        return self.size_approx()

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Queue {self.name!r} closed>"
        return f"<zeroipc.Queue {self.name!r} {self.variant} capacity={self.capacity} dtype={self.dtype}>"
