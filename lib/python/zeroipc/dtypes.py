"""NumPy dtypes to the format's dtype codes (SPECIFICATION.md §6.3)."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

__all__ = ["OPAQUE", "code_of", "resolve", "to_bytes", "from_bytes"]

OPAQUE = 0
_CODES = {
    ("i", 1): 1, ("u", 1): 2, ("i", 2): 3, ("u", 2): 4, ("i", 4): 5, ("u", 4): 6,
    ("i", 8): 7, ("u", 8): 8, ("f", 4): 9, ("f", 8): 10, ("b", 1): 11,
}


def code_of(dtype: np.dtype) -> int:
    """The §6.3 code of a NumPy dtype: i8 1, u8 2, i16 3, u16 4, i32 5, u32 6, i64 7, u64 8,
    f32 9, f64 10, bool 11; anything else (structured, other types) is opaque 0."""
    if dtype.fields is not None or dtype.subdtype is not None:
        return OPAQUE
    return _CODES.get((dtype.kind, dtype.itemsize), OPAQUE)


def resolve(dtype: Any) -> Tuple[np.dtype, int, int]:
    """(the NumPy dtype in native byte order, its element size, its §6.3 code).

    Non-native byte order is refused for the scalar types (the format stores native values)."""
    dt = np.dtype(dtype)
    if dt.itemsize == 0:
        raise ValueError(f"dtype {dt} has no size")
    if dt.fields is None and not dt.isnative:
        raise ValueError(f"dtype {dt} is not in native byte order")
    return dt, dt.itemsize, code_of(dt)


def to_bytes(value: Any, dtype: np.dtype) -> bytes:
    """One element of ``dtype`` as its raw bytes (a scalar, tuple, np.void or 0-d/1-element array)."""
    arr = np.asarray(value, dtype=dtype) if not isinstance(value, np.ndarray) or value.dtype != dtype else value
    if arr.size != 1:
        raise ValueError(f"expected one element of {dtype}, got shape {arr.shape}")
    return arr.tobytes()


def from_bytes(raw: bytes, dtype: np.dtype) -> Any:
    """One element (a NumPy scalar, or np.void for structured dtypes) from its raw bytes (copied)."""
    return np.frombuffer(raw, dtype=dtype)[0]
