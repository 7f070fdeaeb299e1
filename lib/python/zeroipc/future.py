"""Future (§7.4): a value set once by a producer, awaited by any number of readers."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import check
from .memory import Handle, Memory

__all__ = ["Future"]


class Future(Handle):
    """The shared Future ``name`` of ``mem`` holding one ``dtype`` value.

    ``Future(mem, name, dtype=...)`` opens it (NotFound if missing); with ``create=True`` it is
    created pending with this process as its producer, or opened if it exists.
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, create: bool = False) -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        out = ctypes.c_void_p()
        fn = _lib.lib.zeroipc_future_create if create else _lib.lib.zeroipc_future_open
        check(fn(mem._handle(), _lib.encode(name), self.element_size, self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_future_close)
        self._buf = ctypes.create_string_buffer(self.element_size)

    def set(self, value: Any) -> None:
        """Sets the value and wakes every waiter (FutureError reason "already_set" if set before)."""
        check(_lib.lib.zeroipc_future_set_value(self._handle(), to_bytes(value, self.dtype)))

    set_value = set

    def set_error(self, message: str) -> None:
        """Sets an error: readers get FutureError(reason="error_set") with this message."""
        check(_lib.lib.zeroipc_future_set_error(self._handle(), _lib.encode(message)))

    def claim_producer(self) -> None:
        """Makes this process the producer whose death fails the readers."""
        check(_lib.lib.zeroipc_future_claim_producer(self._handle()))

    def get(self, timeout: Optional[float] = None) -> Any:
        """Waits up to ``timeout`` seconds (None: forever) for the value. Raises Timeout, or
        FutureError (reason "error_set" with the producer's message, or "producer_died")."""
        check(_lib.lib.zeroipc_future_get(self._handle(), self._buf, _lib.timeout_ns(timeout)))
        return from_bytes(self._buf.raw, self.dtype)

    def is_ready(self) -> bool:
        """True when a value or an error is set."""
        return bool(_lib.lib.zeroipc_future_is_ready(self._handle()))

    def __repr__(self) -> str:
        return f"<zeroipc.Future {self.name!r} dtype={self.dtype}{' closed' if self.closed else ''}>"
