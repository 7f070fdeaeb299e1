"""Memory: a named shared-memory segment (§1–§5), and the base of the structure handles."""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Callable, List, NamedTuple, Optional

from . import _lib
from .errors import check

if TYPE_CHECKING:
    from .table import Table

__all__ = ["Memory", "Entry", "unlink", "exists"]


class Entry(NamedTuple):
    """A READY name-table entry."""

    name: str
    offset: int
    size: int
    creator_pid: int


def unlink(name: str) -> bool:
    """Removes the segment name: True when it existed, False when there was none."""
    status = _lib.lib.zeroipc_memory_unlink(_lib.encode(name))
    if status == -1:
        return False
    check(status)
    return True


def exists(name: str) -> bool:
    """True when a segment of that name exists."""
    return bool(_lib.lib.zeroipc_memory_exists(_lib.encode(name)))


class Handle:
    """An owned C handle, closed once by close(), __exit__ or __del__ (safe at interpreter exit:
    the close function is held by the instance, not looked up in module globals)."""

    _ptr: Optional[int] = None
    _closer: Optional[Callable[[Any], None]] = None

    def _adopt(self, ptr: ctypes.c_void_p, closer: Callable[[Any], None]) -> None:
        self._ptr = ptr.value
        self._closer = closer

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def _handle(self) -> int:
        if self._ptr is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self) -> None:
        """Releases the handle (idempotent)."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None and self._closer is not None:
            self._closer(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Memory(Handle):
    """A shared-memory segment.

    ``Memory(name)`` opens the existing segment (NotFound if none); ``Memory(name, size)``
    creates it, or opens and validates it if it exists (then it must be at least ``size`` bytes).
    Structures (Array, Queue, Future, Channel) keep the mapping alive after this handle closes.
    """

    def __init__(self, name: str, size: Optional[int] = None, *, table_capacity: Optional[int] = None,
                 mode: Optional[int] = None, allow_foreign_owner: bool = False) -> None:
        out = ctypes.c_void_p()
        if size is None:
            if table_capacity is not None or mode is not None:
                raise ValueError("table_capacity and mode are for creating: give a size too")
            check(_lib.lib.zeroipc_memory_open(_lib.encode(name), int(allow_foreign_owner), ctypes.byref(out)))
        else:
            opts = _lib.lib.zeroipc_memory_default_options()
            if table_capacity is not None:
                opts.table_capacity = table_capacity
            if mode is not None:
                opts.mode = mode
            opts.allow_foreign_owner = int(allow_foreign_owner)
            check(_lib.lib.zeroipc_memory_create(_lib.encode(name), size, ctypes.byref(opts), ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_memory_close)

    unlink = staticmethod(unlink)
    exists = staticmethod(exists)

    @property
    def name(self) -> str:
        return _lib.lib.zeroipc_memory_name(self._handle()).decode("utf-8")

    @property
    def size(self) -> int:
        return _lib.lib.zeroipc_memory_size(self._handle())

    @property
    def base(self) -> int:
        """The segment's address in this process."""
        return _lib.lib.zeroipc_memory_base(self._handle()) or 0

    @property
    def created(self) -> bool:
        """True when this handle created the segment, False when it opened it."""
        return bool(_lib.lib.zeroipc_memory_created(self._handle()))

    @property
    def free_bytes(self) -> int:
        return _lib.lib.zeroipc_memory_free_bytes(self._handle())

    @property
    def table_capacity(self) -> int:
        return _lib.lib.zeroipc_table_capacity(self._handle())

    def entries(self) -> List[Entry]:
        """The READY name-table entries, in table order."""
        h = self._handle()
        count = ctypes.c_size_t()
        cap = self.table_capacity
        buf = (_lib.EntryInfo * cap)()
        check(_lib.lib.zeroipc_table_entries(h, buf, cap, ctypes.byref(count)))
        return [Entry(e.name.decode("utf-8"), e.offset, e.size, e.creator_pid) for e in buf[:min(count.value, cap)]]

    @property
    def table(self) -> "Table":
        """The name table, read as kinds and element types (:class:`zeroipc.Table`)."""
        from .table import Table
        return Table(self)

    def __contains__(self, name: str) -> bool:
        info = _lib.EntryInfo()
        status = _lib.lib.zeroipc_table_find(self._handle(), _lib.encode(name), ctypes.byref(info))
        if status == -1:
            return False
        check(status)
        return True

    def __repr__(self) -> str:
        if self.closed:
            return "<zeroipc.Memory closed>"
        return f"<zeroipc.Memory {self.name!r} size={self.size}>"
