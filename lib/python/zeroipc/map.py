"""Map and Set (§7.8): bounded hash tables of fixed-size keys (and values) in a segment.

The same table as C++ ``zeroipc::Map<K, V>`` / ``zeroipc::Set<K>`` (variant locked_probe,
§7.8.1), through the C library: keys are compared by their bytes and hashed as §7.8 says, so a
key a C++ or C process inserted is found here and the other way round. Every operation holds the
table's owner lock; a process killed while holding it is taken over by the next operation, which
undoes a half-done assignment (nothing is lost, nothing is torn).

    prices = zeroipc.Map(mem, "prices", key_dtype=np.uint64, value_dtype=np.float64, capacity=4096)
    prices[7] = 1.5            # insert or assign
    prices[7], prices.get(8)   # 1.5, None (prices[8] raises KeyError)
    7 in prices; del prices[7]; len(prices); prices.capacity
    prices.keys(), prices.values(), prices.items(), list(prices)   # snapshots (lists)
    seen = zeroipc.Set(mem, "seen", key_dtype=np.uint32, capacity=1024)
    seen.add(3); 3 in seen; seen.discard(3); list(seen)

Iteration is over snapshots: keys(), values(), items() and iter() return (an iterator over) a
list copied under one hold of the lock by the C library (zeroipc_map_snapshot), like C++
for_each one consistent view (no key missed or seen twice, no value half-written), but no Python
code runs while the lock is held: the loop body may use the map (or anything else) freely, and
other processes are kept waiting only for the copy. The lists are in table order (no order to
rely on) and are not updated afterwards.

A structured key dtype compares its padding bytes too (NumPy writes them as zero).
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_char_p, c_int, c_uint8, c_uint32, c_uint64, c_void_p
from typing import Any, Callable, Iterator, List, Optional, Tuple

import numpy as np

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import StructureFull, check
from .memory import Handle, Memory

__all__ = ["Map", "Set"]

_P = c_void_p
_PP = POINTER(c_void_p)

_lib._proto("zeroipc_map_create", c_int, _P, c_char_p, c_uint64, c_uint32, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_map_open", c_int, _P, c_char_p, c_uint32, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_map_close", None, _P)
_lib._proto("zeroipc_map_insert", c_int, _P, c_void_p, c_void_p)
_lib._proto("zeroipc_map_insert_or_assign", c_int, _P, c_void_p, c_void_p)
_lib._proto("zeroipc_map_find", c_int, _P, c_void_p, c_void_p)
_lib._proto("zeroipc_map_contains", c_int, _P, c_void_p)
_lib._proto("zeroipc_map_erase", c_int, _P, c_void_p)
_lib._proto("zeroipc_map_size", c_uint64, _P)
_lib._proto("zeroipc_map_capacity", c_uint64, _P)
_lib._proto("zeroipc_map_snapshot", c_int, _P, c_void_p, c_void_p, c_uint64, POINTER(c_uint64))

_lib._proto("zeroipc_set_create", c_int, _P, c_char_p, c_uint64, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_set_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_set_close", None, _P)
_lib._proto("zeroipc_set_insert", c_int, _P, c_void_p)
_lib._proto("zeroipc_set_contains", c_int, _P, c_void_p)
_lib._proto("zeroipc_set_erase", c_int, _P, c_void_p)
_lib._proto("zeroipc_set_size", c_uint64, _P)
_lib._proto("zeroipc_set_capacity", c_uint64, _P)
_lib._proto("zeroipc_set_snapshot", c_int, _P, c_void_p, c_uint64, POINTER(c_uint64))

#: The C statuses of zeroipc.h (positive: answers, not errors).
_OK, _FULL, _ABSENT, _PRESENT = 0, 1, 4, 5


def _inserted(status: int) -> bool:
    """OK -> True, PRESENT -> False, FULL -> StructureFull (the C++ message), an error -> raised."""
    check(status)
    if status == _FULL:
        raise StructureFull(_lib.lib.zeroipc_last_error().decode("utf-8", "replace"), status)
    return status == _OK


def _found(status: int) -> bool:
    """OK -> True, ABSENT -> False, an error -> raised."""
    return check(status) == _OK


def _key_bytes(key: Any, dtype: np.dtype) -> bytes:
    """A key's bytes; a structured key starts from zeros, so its padding bytes (compared and
    hashed with the rest) are always zero."""
    if dtype.fields is None:
        return to_bytes(key, dtype)
    arr = np.zeros(1, dtype=dtype)
    arr[0] = key
    return arr.tobytes()


def _snapshot(copy: Callable[[Any, Any, int, Any], int], room: int, key_size: int,
              value_size: int) -> Tuple[bytes, bytes, int]:
    """(the keys' bytes, the values' bytes, how many) of one zeroipc_*_snapshot call that fit.

    ``copy(keys, values, max_keys, byref(count))`` copies under one hold of the lock; when more
    keys are present than there was room for (ZEROIPC_FULL, count = keys present), it is called
    again with room for them (keys inserted meanwhile by other processes: again, at most until
    the table's slot count)."""
    count = c_uint64(0)
    room = max(room, 1)
    while True:
        keys = ctypes.create_string_buffer(room * key_size)
        values = ctypes.create_string_buffer(room * value_size) if value_size else None
        status = check(copy(keys, values, room, ctypes.byref(count)))
        if status == _OK:
            n = count.value
            return keys.raw[:n * key_size], values.raw[:n * value_size] if values is not None else b"", n
        room = count.value + count.value // 8 + 1


def _elements(raw: bytes, dtype: np.dtype, n: int) -> List[Any]:
    """n elements (NumPy scalars, or np.void for a structured dtype) from their packed bytes."""
    return list(np.frombuffer(raw, dtype=dtype, count=n))


class Map(Handle):
    """The shared Map ``name`` of ``mem`` from ``key_dtype`` keys to ``value_dtype`` values.

    ``Map(mem, name, key_dtype=..., value_dtype=...)`` opens it (NotFound if missing); with
    ``capacity=n`` (keys it holds, 1 to 3 * 2^30) it is created, or opened if it exists (same key
    size, value size, value dtype code and capacity: MismatchError otherwise). Inserting a key
    beyond the capacity raises StructureFull.
    """

    def __init__(self, mem: Memory, name: str, key_dtype: Any, value_dtype: Any,
                 capacity: Optional[int] = None) -> None:
        self.key_dtype, self.key_size, _ = resolve(key_dtype)
        self.value_dtype, self.value_size, self.value_code = resolve(value_dtype)
        self.name = name
        out = ctypes.c_void_p()
        if capacity is None:
            check(_lib.lib.zeroipc_map_open(mem._handle(), _lib.encode(name), self.key_size, self.value_size,
                                            self.value_code, ctypes.byref(out)))
        else:
            check(_lib.lib.zeroipc_map_create(mem._handle(), _lib.encode(name), capacity, self.key_size,
                                              self.value_size, self.value_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_map_close)
        self._buf = ctypes.create_string_buffer(self.value_size)

    def _key(self, key: Any) -> bytes:
        return _key_bytes(key, self.key_dtype)

    def insert(self, key: Any, value: Any) -> bool:
        """Adds key -> value: True, or False if the key is present (its value unchanged)."""
        return _inserted(_lib.lib.zeroipc_map_insert(self._handle(), self._key(key),
                                                     to_bytes(value, self.value_dtype)))

    def insert_or_assign(self, key: Any, value: Any) -> bool:
        """Adds key -> value, or replaces a present key's value: True if it inserted, False if it replaced."""
        return _inserted(_lib.lib.zeroipc_map_insert_or_assign(self._handle(), self._key(key),
                                                               to_bytes(value, self.value_dtype)))

    def __setitem__(self, key: Any, value: Any) -> None:
        self.insert_or_assign(key, value)

    def find(self, key: Any) -> Optional[Any]:
        """The value of ``key`` (a copy: a NumPy scalar, or np.void for a structured dtype), or None."""
        if not _found(_lib.lib.zeroipc_map_find(self._handle(), self._key(key), self._buf)):
            return None
        return from_bytes(self._buf.raw, self.value_dtype)

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` if it is absent."""
        value = self.find(key)
        return default if value is None else value

    def __getitem__(self, key: Any) -> Any:
        value = self.find(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return _found(_lib.lib.zeroipc_map_contains(self._handle(), self._key(key)))

    def erase(self, key: Any) -> bool:
        """Removes ``key``: True, or False if it was absent."""
        return _found(_lib.lib.zeroipc_map_erase(self._handle(), self._key(key)))

    def __delitem__(self, key: Any) -> None:
        if not self.erase(key):
            raise KeyError(key)

    def __len__(self) -> int:
        """Keys present (exact when no operation is in flight)."""
        return _lib.lib.zeroipc_map_size(self._handle())

    def _copy(self, with_values: bool) -> Tuple[bytes, bytes, int]:
        handle = self._handle()
        value_size = self.value_size if with_values else 0

        def copy(keys: Any, values: Any, room: int, count: Any) -> int:
            return _lib.lib.zeroipc_map_snapshot(handle, keys, values, room, count)

        return _snapshot(copy, len(self) + 16, self.key_size, value_size)

    def keys(self) -> List[Any]:
        """A snapshot of the keys present: a list copied under one hold of the lock (module doc)."""
        raw, _, n = self._copy(False)
        return _elements(raw, self.key_dtype, n)

    def values(self) -> List[Any]:
        """A snapshot of the values, in the order of keys() of the same snapshot (module doc)."""
        _, raw, n = self._copy(True)
        return _elements(raw, self.value_dtype, n)

    def items(self) -> List[Tuple[Any, Any]]:
        """A snapshot of the (key, value) pairs, copied under one hold of the lock (module doc)."""
        keys, values, n = self._copy(True)
        return list(zip(_elements(keys, self.key_dtype, n), _elements(values, self.value_dtype, n)))

    def __iter__(self) -> Iterator[Any]:
        """Over a snapshot of the keys (keys()): the loop may change the map."""
        return iter(self.keys())

    @property
    def capacity(self) -> int:
        """Keys it can hold."""
        return _lib.lib.zeroipc_map_capacity(self._handle())

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Map {self.name!r} closed>"
        return (f"<zeroipc.Map {self.name!r} {len(self)}/{self.capacity} keys {self.key_dtype} -> "
                f"{self.value_dtype}>")


class Set(Handle):
    """The shared Set ``name`` of ``mem`` of ``key_dtype`` keys: a Map without values.

    ``Set(mem, name, key_dtype=...)`` opens it; with ``capacity=n`` it is created, or opened if
    it exists (same key size, dtype code and capacity). Adding a key beyond the capacity raises
    StructureFull.
    """

    def __init__(self, mem: Memory, name: str, key_dtype: Any, capacity: Optional[int] = None) -> None:
        self.key_dtype, self.key_size, self.key_code = resolve(key_dtype)
        self.name = name
        out = ctypes.c_void_p()
        if capacity is None:
            check(_lib.lib.zeroipc_set_open(mem._handle(), _lib.encode(name), self.key_size, self.key_code,
                                            ctypes.byref(out)))
        else:
            check(_lib.lib.zeroipc_set_create(mem._handle(), _lib.encode(name), capacity, self.key_size,
                                              self.key_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_set_close)

    def _key(self, key: Any) -> bytes:
        return _key_bytes(key, self.key_dtype)

    def add(self, key: Any) -> bool:
        """Adds ``key``: True, or False if it was present."""
        return _inserted(_lib.lib.zeroipc_set_insert(self._handle(), self._key(key)))

    insert = add

    def discard(self, key: Any) -> bool:
        """Removes ``key`` if present: True if it was, False if not."""
        return _found(_lib.lib.zeroipc_set_erase(self._handle(), self._key(key)))

    erase = discard

    def remove(self, key: Any) -> None:
        """Removes ``key``; KeyError if it was absent."""
        if not self.discard(key):
            raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        return _found(_lib.lib.zeroipc_set_contains(self._handle(), self._key(key)))

    def __len__(self) -> int:
        """Keys present (exact when no operation is in flight)."""
        return _lib.lib.zeroipc_set_size(self._handle())

    def keys(self) -> List[Any]:
        """A snapshot of the keys present: a list copied under one hold of the lock (module doc)."""
        handle = self._handle()

        def copy(keys: Any, values: Any, room: int, count: Any) -> int:
            return _lib.lib.zeroipc_set_snapshot(handle, keys, room, count)

        raw, _, n = _snapshot(copy, len(self) + 16, self.key_size, 0)
        return _elements(raw, self.key_dtype, n)

    def __iter__(self) -> Iterator[Any]:
        """Over a snapshot of the keys (keys()): the loop may change the set."""
        return iter(self.keys())

    @property
    def capacity(self) -> int:
        """Keys it can hold."""
        return _lib.lib.zeroipc_set_capacity(self._handle())

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Set {self.name!r} closed>"
        return f"<zeroipc.Set {self.name!r} {len(self)}/{self.capacity} keys {self.key_dtype}>"
