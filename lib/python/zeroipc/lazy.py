"""Lazy (§7.4, kind 9): a value computed once, by whichever process first needs it, and cached in
the segment for every other process (C, C++ and Python alike).

::

    inv = zeroipc.Lazy(mem, "inverse", dtype=np.float64, compute=lambda: slow_inverse(), create=True)
    inv.get()            # computes here if nobody has (exactly once across processes), else waits
    same = zeroipc.Lazy(mem, "inverse", dtype=np.float64)    # no computation: a reader
    same.get(timeout=5)  # waits; asks the providers (processes with the computation) for it
    inv.invalidate()     # empty again (generation + 1): the next get() recomputes

How it maps onto the C library (zeroipc_lazy_*): a handle with ``compute`` calls
``zeroipc_lazy_acquire``, which answers ZEROIPC_CLAIMED to the one process (of all racing) that
won the computing claim; this handle then runs ``compute()`` and publishes the value, or stores
``str(exc)`` of the exception it raised (every reader, in any language, then gets LazyError with
that text until invalidate()). A handle without ``compute`` calls ``zeroipc_lazy_get``, which
adds to the Lazy's ``demand`` and wakes the providers: a C++ ``Lazy`` with a computation, or a
Python/C process in :meth:`Lazy.serve`.

If the computing process dies, a waiter with ``compute`` takes the claim over (within ~20 ms) and
computes; waiters without one fail with LazyError (reason "owner_died") after ``timeout``.
"""

from __future__ import annotations

import ctypes
import time
from ctypes import c_char_p, c_int, c_int64, c_uint8, c_uint32, c_void_p, POINTER
from typing import Any, Callable, Optional

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import check, error_for
from .memory import Handle, Memory

__all__ = ["Lazy"]

_P = c_void_p
_lib._proto("zeroipc_lazy_create", c_int, _P, c_char_p, c_uint32, c_uint8, POINTER(c_void_p))
_lib._proto("zeroipc_lazy_open", c_int, _P, c_char_p, c_uint32, c_uint8, POINTER(c_void_p))
_lib._proto("zeroipc_lazy_close", None, _P)
_lib._proto("zeroipc_lazy_set_timeout", None, _P, c_int64)
_lib._proto("zeroipc_lazy_get", c_int, _P, c_void_p, c_int64)
_lib._proto("zeroipc_lazy_acquire", c_int, _P, c_void_p, c_int64)
_lib._proto("zeroipc_lazy_publish", c_int, _P, c_void_p)
_lib._proto("zeroipc_lazy_fail", c_int, _P, c_char_p)
_lib._proto("zeroipc_lazy_wait_demand", c_int, _P, c_int64)
_lib._proto("zeroipc_lazy_invalidate", c_int, _P)
_lib._proto("zeroipc_lazy_is_ready", c_int, _P)
_lib._proto("zeroipc_lazy_has_error", c_int, _P)
_lib._proto("zeroipc_lazy_generation", c_uint32, _P)
_lib._proto("zeroipc_lazy_computing_process", c_int, _P)

#: zeroipc_lazy_acquire: this handle holds the computing claim (zeroipc.h ZEROIPC_CLAIMED).
CLAIMED = 3
#: ZEROIPC_E_TIMEOUT: a live process is computing the value.
_E_TIMEOUT = -12
#: How long get() waits while nobody live computes the value (the C++ Lazy::kDefaultTimeout).
DEFAULT_TIMEOUT = 30.0


class Lazy(Handle):
    """The shared Lazy ``name`` of ``mem`` holding one ``dtype`` value.

    ``Lazy(mem, name, dtype=...)`` opens it (NotFound if missing; MismatchError if it is not a
    Lazy of that element size and dtype); with ``create=True`` it is created empty, or opened if
    it exists. ``compute`` (a function of no arguments returning one ``dtype`` value) makes this
    handle able to compute it: get() then claims and computes an empty Lazy, and serve() answers
    other processes' demands. ``timeout`` (seconds, None: forever) bounds how long get() waits
    while nobody live computes it (C++ ``set_timeout``).

    A handle belongs to one thread at a time (its computing claim is the handle's).
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, compute: Optional[Callable[[], Any]] = None,
                 create: bool = False, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        self.compute = compute
        out = ctypes.c_void_p()
        fn = _lib.lib.zeroipc_lazy_create if create else _lib.lib.zeroipc_lazy_open
        check(fn(mem._handle(), _lib.encode(name), self.element_size, self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_lazy_close)
        self._buf = ctypes.create_string_buffer(self.element_size)
        self._timeout: Optional[float] = None
        self.timeout = timeout

    @property
    def timeout(self) -> Optional[float]:
        """Seconds get() waits while nobody live computes the value (None: forever)."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: Optional[float]) -> None:
        _lib.lib.zeroipc_lazy_set_timeout(self._handle(), _lib.timeout_ns(seconds))
        self._timeout = seconds

    def get(self, timeout: Optional[float] = None) -> Any:
        """The value: cached, or computed here (with ``compute``, exactly once across processes),
        or waited for. ``timeout`` (seconds, None: forever) bounds the wait for a live process that
        is computing it: Timeout then. Raises LazyError: "computation_failed" (a stored error, also
        when ``compute`` raised here), "owner_died" / "no_computation" (nobody computed it within
        ``self.timeout``), "recursive" (``compute`` asked for its own value)."""
        h = self._handle()
        t = _lib.timeout_ns(timeout)
        if self.compute is None:
            check(_lib.lib.zeroipc_lazy_get(h, self._buf, t))
            return from_bytes(self._buf.raw, self.dtype)
        if check(_lib.lib.zeroipc_lazy_acquire(h, self._buf, t)) == CLAIMED:
            return self._compute_claimed(h)
        return from_bytes(self._buf.raw, self.dtype)

    force = get

    def _compute_claimed(self, h: int) -> Any:
        """Runs ``compute`` under this handle's claim; publishes its value or stores its error."""
        assert self.compute is not None
        try:
            raw = to_bytes(self.compute(), self.dtype)
        except Exception as exc:
            status = _lib.lib.zeroipc_lazy_fail(h, _lib.encode(str(exc)))
            if status < 0:
                raise error_for(status) from exc
            raise
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: stored, then let through
            _lib.lib.zeroipc_lazy_fail(h, _lib.encode(str(exc) or type(exc).__name__))
            raise
        check(_lib.lib.zeroipc_lazy_publish(h, raw))
        return from_bytes(raw, self.dtype)

    def serve(self, timeout: Optional[float] = None) -> int:
        """Acts as a provider for up to ``timeout`` seconds (None: forever): computes the value
        whenever a process without the computation demands it while the Lazy is empty (or its
        computing process died), as a C++ Lazy's provider thread does. A demand made before the
        first call is served at once. Returns how many times ``compute`` ran. A failing
        ``compute`` is stored for the readers (not raised here)."""
        if self.compute is None:
            raise ValueError(f"Lazy {self.name!r}: serve() needs a handle with a computation")
        h = self._handle()
        deadline = None if timeout is None else time.monotonic() + timeout
        ran = 0
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if check(_lib.lib.zeroipc_lazy_wait_demand(h, _lib.timeout_ns(left))) == _lib.EMPTY:
                return ran  # no demand in time
            status = _lib.lib.zeroipc_lazy_acquire(h, self._buf, 0)
            if status == CLAIMED:
                ran += 1
                try:
                    self._compute_claimed(h)
                except Exception:
                    pass  # stored for every reader
            elif status < 0 and status != _E_TIMEOUT:  # a live process computes it now: its result will do
                raise error_for(status)

    def invalidate(self) -> bool:
        """Resets a computed (or failed) value to empty so the next get() recomputes it; False if
        it was empty already. LazyError "busy" while a live process computes it."""
        return check(_lib.lib.zeroipc_lazy_invalidate(self._handle())) == _lib.OK

    def is_ready(self) -> bool:
        """True when a value is cached."""
        return bool(_lib.lib.zeroipc_lazy_is_ready(self._handle()))

    def has_error(self) -> bool:
        """True when a failed computation is stored."""
        return bool(_lib.lib.zeroipc_lazy_has_error(self._handle()))

    @property
    def generation(self) -> int:
        """Invalidations that reset it, by any process."""
        return _lib.lib.zeroipc_lazy_generation(self._handle())

    @property
    def computing_process(self) -> int:
        """The pid of the process computing it now, 0 if none."""
        return _lib.lib.zeroipc_lazy_computing_process(self._handle())

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("ready" if self.is_ready() else "not ready")
        return f"<zeroipc.Lazy {self.name!r} dtype={self.dtype} {state}>"
