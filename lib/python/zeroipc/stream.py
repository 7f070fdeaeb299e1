"""Stream (§7.5): a multicast ring. One producer process emits; every Cursor, in any process,
reads every item emitted after it subscribed, in order, at its own pace.

::

    with zeroipc.Stream(mem, "ticks", dtype=np.float64, capacity=1024) as s:   # create: we emit
        s.emit(1.5)
    s = zeroipc.Stream(mem, "ticks", dtype=np.float64)                         # open (another process)
    with s.subscribe() as cur:
        for x in cur:          # blocks; stops at the end of the stream
            ...

As the C++ ``Cursor``: ``next(timeout)`` returns the item, or ``None`` both on timeout and at the
end of the stream (then ``cursor.ended`` is True and ``cursor.end_reason`` says why: "closed",
"producer_gone", ...). Iterating a cursor blocks for each item and stops at the end.

Overflow policy (fixed at creation): "block" (``emit`` waits while a live subscriber is
``capacity`` behind; a dead one is released within ~20 ms) or "drop_oldest" (``emit`` never
waits; a slow cursor skips what was overwritten and ``cursor.missed`` counts it).
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_char_p, c_int, c_int64, c_uint8, c_uint32, c_uint64, c_void_p
from typing import Any, Iterator, Optional

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import ChannelClosed, Timeout, check, error_for
from .memory import Handle, Memory

__all__ = ["Stream", "Cursor", "StreamClosed", "OVERFLOW_POLICIES", "END_REASONS"]

_P = c_void_p
_PP = POINTER(c_void_p)
_lib._proto("zeroipc_stream_create", c_int, _P, c_char_p, c_uint64, c_uint32, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_stream_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_lib._proto("zeroipc_stream_close_handle", None, _P)
_lib._proto("zeroipc_stream_emit", c_int, _P, c_void_p, c_int64)
_lib._proto("zeroipc_stream_close", c_int, _P)
_lib._proto("zeroipc_stream_wait_subscribers", c_int, _P, c_uint32, c_int64)
_lib._proto("zeroipc_stream_capacity", c_uint64, _P)
_lib._proto("zeroipc_stream_element_size", c_uint32, _P)
_lib._proto("zeroipc_stream_overflow", c_uint32, _P)
_lib._proto("zeroipc_stream_created", c_int, _P)
_lib._proto("zeroipc_stream_published", c_uint64, _P)
_lib._proto("zeroipc_stream_ended", c_int, _P)
_lib._proto("zeroipc_stream_end_reason", c_int, _P)
_lib._proto("zeroipc_stream_producer", c_int, _P)
_lib._proto("zeroipc_stream_subscribers", c_int, _P)
_lib._proto("zeroipc_stream_subscribe", c_int, _P, _PP)
_lib._proto("zeroipc_cursor_next", c_int, _P, c_void_p, c_int64)
_lib._proto("zeroipc_cursor_missed", c_uint64, _P)
_lib._proto("zeroipc_cursor_position", c_uint64, _P)
_lib._proto("zeroipc_cursor_end_reason", c_uint32, _P)
_lib._proto("zeroipc_cursor_close", None, _P)

#: Overflow policies by name, as §7.5 codes them.
OVERFLOW_POLICIES = {"block": 0, "drop_oldest": 1}
#: §7.5 end_reason codes, by value.
END_REASONS = ("open", "closed", "producer_gone", "operator_stopped", "operator_failed")

_E_CLOSED = -17


class StreamClosed(ChannelClosed):
    """emit() on a stream that has ended (closed, or its producer is gone)."""


class Cursor(Handle):
    """A subscriber slot on a Stream: reads every item emitted after ``Stream.subscribe()``.

    Closing it (``close()``, ``with``, or garbage collection) gives the slot back.
    """

    def __init__(self, stream: "Stream") -> None:
        out = ctypes.c_void_p()
        check(_lib.lib.zeroipc_stream_subscribe(stream._handle(), ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_cursor_close)
        self.dtype = stream.dtype
        self.name = stream.name
        self._buf = ctypes.create_string_buffer(stream.element_size)
        self._ended = False

    def next(self, timeout: Optional[float] = None) -> Any:
        """The next item, waiting up to ``timeout`` seconds (None: forever; 0: not at all).
        Returns None when nothing came in time, or at the end of the stream (then ``ended``)."""
        status = _lib.lib.zeroipc_cursor_next(self._handle(), self._buf, _lib.timeout_ns(timeout))
        if status == _lib.OK:
            return from_bytes(self._buf.raw, self.dtype)
        if status == _E_CLOSED:
            self._ended = True
            return None
        check(status)
        return None  # EMPTY: nothing within the timeout

    def try_next(self) -> Any:
        """The next item if there is one now, else None."""
        return self.next(0)

    def __iter__(self) -> Iterator[Any]:
        """Yields every item until the end of the stream (blocking for each)."""
        while True:
            item = self.next()
            if item is None:
                return
            yield item

    @property
    def ended(self) -> bool:
        """The stream ended and every item was read."""
        return self._ended

    @property
    def end_reason(self) -> str:
        """Why it ended ("open" until it has): "closed", "producer_gone", ..."""
        return END_REASONS[_lib.lib.zeroipc_cursor_end_reason(self._handle())]

    @property
    def missed(self) -> int:
        """Items this cursor lost to the drop_oldest policy."""
        return _lib.lib.zeroipc_cursor_missed(self._handle())

    @property
    def position(self) -> int:
        """Position of the next item."""
        return _lib.lib.zeroipc_cursor_position(self._handle())

    def __repr__(self) -> str:
        return f"<zeroipc.Cursor on {self.name!r}{' closed' if self.closed else ''}>"


class Stream(Handle):
    """The shared Stream ``name`` of ``mem`` carrying ``dtype`` items.

    ``Stream(mem, name, dtype=...)`` opens it; ``Stream(mem, name, dtype=..., capacity=n,
    overflow="block")`` creates it with ``n`` cells (rounded up to a power of two, 1..2^30),
    this process being its producer, or opens it (same element size, dtype code, rounded
    capacity and overflow; a stream whose producer is dead is then fed from here).

    Only the producer process emits (RoleTaken elsewhere while it lives). ``close()`` releases
    this handle; ``close_stream()`` ends the stream for every reader.
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None,
                 overflow: str = "block") -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {sorted(OVERFLOW_POLICIES)}, got {overflow!r}")
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(_lib.lib.zeroipc_stream_open(h, _lib.encode(name), self.element_size, self.dtype_code,
                                               ctypes.byref(out)))
        else:
            check(_lib.lib.zeroipc_stream_create(h, _lib.encode(name), capacity, OVERFLOW_POLICIES[overflow],
                                                 self.element_size, self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_stream_close_handle)

    def emit(self, value: Any, timeout: Optional[float] = None) -> None:
        """Appends ``value``, waiting up to ``timeout`` seconds (None: forever; 0: not at all)
        while a live subscriber is ``capacity`` behind (block policy). Raises Timeout when not
        emitted in time, StreamClosed once the stream ended, RoleTaken in a process that is not
        its producer."""
        status = _lib.lib.zeroipc_stream_emit(self._handle(), to_bytes(value, self.dtype),
                                              _lib.timeout_ns(timeout))
        if status == _E_CLOSED:
            err = error_for(status)
            raise StreamClosed(err.message, status)
        if check(status) != _lib.OK:
            raise Timeout(f"stream '{self.name}': not emitted within {timeout} s", -12)

    def try_emit(self, value: Any) -> bool:
        """Emits if there is room now: True, or False when a live subscriber holds it back."""
        try:
            self.emit(value, 0)
        except Timeout:
            return False
        return True

    def close_stream(self) -> bool:
        """Ends the stream (reason "closed"): readers drain it, then see the end. True when this
        call ended it, False if it had ended already."""
        status = _lib.lib.zeroipc_stream_close(self._handle())
        if status == _E_CLOSED:
            return False
        check(status)
        return True

    def subscribe(self) -> Cursor:
        """A Cursor that reads every item emitted from now on (LimitReached when 64 live
        subscribers hold every slot)."""
        return Cursor(self)

    cursor = subscribe

    def wait_for_subscribers(self, n: int, timeout: Optional[float] = None) -> bool:
        """Waits until at least ``n`` subscribers (in any process) hold a slot: True, or False
        after ``timeout`` seconds or once the stream ended."""
        status = _lib.lib.zeroipc_stream_wait_subscribers(self._handle(), n, _lib.timeout_ns(timeout))
        if status == _E_CLOSED:
            return False
        return check(status) == _lib.OK

    @property
    def capacity(self) -> int:
        return _lib.lib.zeroipc_stream_capacity(self._handle())

    @property
    def overflow(self) -> str:
        """"block" or "drop_oldest"."""
        return "drop_oldest" if _lib.lib.zeroipc_stream_overflow(self._handle()) == 1 else "block"

    @property
    def created(self) -> bool:
        """True when this handle created the stream."""
        return bool(_lib.lib.zeroipc_stream_created(self._handle()))

    @property
    def published(self) -> int:
        """Items emitted so far (by any process)."""
        return _lib.lib.zeroipc_stream_published(self._handle())

    @property
    def ended(self) -> bool:
        return bool(_lib.lib.zeroipc_stream_ended(self._handle()))

    @property
    def end_reason(self) -> str:
        """"open" while it has not ended; then "closed", "producer_gone", ..."""
        return END_REASONS[check(_lib.lib.zeroipc_stream_end_reason(self._handle()))]

    @property
    def producer(self) -> int:
        """The pid of the process that emits."""
        return _lib.lib.zeroipc_stream_producer(self._handle())

    @property
    def subscribers(self) -> int:
        """Subscriber slots held now (a dead subscriber counts until released)."""
        return check(_lib.lib.zeroipc_stream_subscribers(self._handle()))

    def __repr__(self) -> str:
        return f"<zeroipc.Stream {self.name!r} dtype={self.dtype}{' closed' if self.closed else ''}>"
