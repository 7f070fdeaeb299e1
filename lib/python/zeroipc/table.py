"""Table (§3): the segment's name table, read as what each structure is (kind, variant, element type).

::

    mem = zeroipc.Memory("/sensor_data")
    t = zeroipc.Table(mem)                 # or mem.table
    t.names()                              # ['temperature', 'orders', ...], table order
    t.kinds()                              # {'temperature': 'array', 'orders': 'queue', ...}
    t["orders"].variant                    # 'vyukov_bounded'
    for s in t: print(s.name, s.kind, s.capacity)

Each entry's structure header is validated as an open would (magic, layout version, bounds): a corrupt
one raises CorruptSegment naming it.
"""

from __future__ import annotations

import ctypes
from ctypes import Structure, c_char, c_uint8, c_uint16, c_uint32, c_uint64
from typing import Dict, Iterator, List, NamedTuple

from . import _lib
from .errors import check
from .memory import Memory

__all__ = ["Table", "StructureInfo"]


class _CInfo(Structure):
    """struct zeroipc_structure_info."""

    _fields_ = [("entry", _lib.EntryInfo), ("kind", c_uint16), ("variant", c_uint16), ("element_size", c_uint32),
                ("dtype", c_uint8), ("capacity", c_uint64), ("total_size", c_uint64), ("kind_name", c_char * 24),
                ("variant_name", c_char * 40), ("dtype_name", c_char * 24)]


_lib._proto("zeroipc_structure_info_of", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(_CInfo))


class StructureInfo(NamedTuple):
    """One structure of the table: what its header (§6) says, and where its entry puts it."""

    name: str
    kind: str           # "array", "queue", "stack", "map", "set", "pool", "ring", "future", "lazy", "stream", "channel"
    variant: str        # "vyukov_bounded", ...; "" for kinds with one layout
    dtype: str          # "f64", "u64", ..., "opaque"
    element_size: int
    capacity: int
    offset: int         # of the structure, from the segment's start
    size: int           # bytes its entry reserves
    creator_pid: int


class Table:
    """The name table of ``mem``: a live view (every call reads the segment again)."""

    def __init__(self, mem: Memory) -> None:
        self._mem = mem

    @property
    def capacity(self) -> int:
        """Entries the table can hold."""
        return self._mem.table_capacity

    def names(self) -> List[str]:
        """The names of the READY structures, in table order."""
        return [e.name for e in self._mem.entries()]

    def kinds(self) -> Dict[str, str]:
        """name -> kind ("queue", "array", ...) for every READY structure."""
        return {s.name: s.kind for s in self}

    def __getitem__(self, name: str) -> StructureInfo:
        """The structure ``name`` (NotFound if there is none)."""
        info = _CInfo()
        check(_lib.lib.zeroipc_structure_info_of(self._mem._handle(), _lib.encode(name), ctypes.byref(info)))
        e = info.entry
        return StructureInfo(e.name.decode("utf-8"), info.kind_name.decode("utf-8"),
                             info.variant_name.decode("utf-8"), info.dtype_name.decode("utf-8"), info.element_size,
                             info.capacity, e.offset, e.size, e.creator_pid)

    def __iter__(self) -> Iterator[StructureInfo]:
        return iter([self[name] for name in self.names()])

    def __len__(self) -> int:
        return len(self._mem.entries())

    def __contains__(self, name: str) -> bool:
        return name in self._mem

    def __repr__(self) -> str:
        return f"<zeroipc.Table of {self._mem.name!r}: {len(self)} of {self.capacity} entries>"
