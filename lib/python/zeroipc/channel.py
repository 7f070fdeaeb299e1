"""Channel (§7.6): CSP-style send/receive, buffered (capacity >= 1) or rendezvous (capacity 0)."""

from __future__ import annotations

import ctypes
from typing import Any, Iterator, Optional

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import Timeout, check
from .memory import Handle, Memory

__all__ = ["Channel"]


class Channel(Handle):
    """The shared Channel ``name`` of ``mem`` carrying ``dtype`` values.

    ``Channel(mem, name, dtype=...)`` opens it; ``Channel(mem, name, dtype=..., capacity=n)``
    creates it (0: rendezvous, a send returns once received; n >= 1: buffered) or opens it (same
    element size, dtype code and capacity).

    ``close()`` releases this handle; ``close_channel()`` closes the channel itself for everyone.
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None) -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(_lib.lib.zeroipc_channel_open(h, _lib.encode(name), self.element_size, self.dtype_code,
                                                ctypes.byref(out)))
        else:
            check(_lib.lib.zeroipc_channel_create(h, _lib.encode(name), capacity, self.element_size,
                                                  self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_channel_close_handle)
        self._buf = ctypes.create_string_buffer(self.element_size)

    def send(self, value: Any, timeout: Optional[float] = None) -> None:
        """Sends, waiting up to ``timeout`` seconds (None: forever; 0: not at all).
        Raises Timeout when not sent in time, ChannelClosed when the channel is closed."""
        status = check(_lib.lib.zeroipc_channel_send(self._handle(), to_bytes(value, self.dtype),
                                                     _lib.timeout_ns(timeout)))
        if status != _lib.OK:
            raise Timeout(f"channel '{self.name}': not sent within {timeout} s", -12)

    def try_send(self, value: Any) -> bool:
        """Sends without waiting: True, or False when there is no room (or no receiver) now."""
        return check(_lib.lib.zeroipc_channel_send(self._handle(), to_bytes(value, self.dtype), 0)) == _lib.OK

    def receive(self, timeout: Optional[float] = None) -> Any:
        """Receives, waiting up to ``timeout`` seconds (None: forever; 0: not at all).
        Raises Timeout when nothing came in time, ChannelClosed when closed and drained."""
        status = check(_lib.lib.zeroipc_channel_receive(self._handle(), self._buf, _lib.timeout_ns(timeout)))
        if status != _lib.OK:
            raise Timeout(f"channel '{self.name}': nothing received within {timeout} s", -12)
        return from_bytes(self._buf.raw, self.dtype)

    def try_receive(self) -> Any:
        """Receives without waiting: the value, or None when nothing is there now."""
        status = check(_lib.lib.zeroipc_channel_receive(self._handle(), self._buf, 0))
        return from_bytes(self._buf.raw, self.dtype) if status == _lib.OK else None

    def close_channel(self) -> bool:
        """Closes the channel for every process: True when this call closed it, False if it
        already was."""
        status = _lib.lib.zeroipc_channel_close(self._handle())
        if status == -17:
            return False
        check(status)
        return True

    @property
    def is_closed(self) -> bool:
        """True when the channel (not this handle) is closed."""
        return bool(_lib.lib.zeroipc_channel_is_closed(self._handle()))

    @property
    def capacity(self) -> int:
        return _lib.lib.zeroipc_channel_capacity(self._handle())

    def __iter__(self) -> Iterator[Any]:
        """Receives until the channel is closed and drained."""
        from .errors import ChannelClosed
        while True:
            try:
                yield self.receive()
            except ChannelClosed:
                return

    def __repr__(self) -> str:
        return f"<zeroipc.Channel {self.name!r} dtype={self.dtype}{' closed' if self.closed else ''}>"
