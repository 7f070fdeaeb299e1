"""What Queue and Stack share: a named bounded container of fixed-size elements over the C
library's zeroipc_<kind>_* functions (open, create with a variant, push, pop, capacity, close)."""

from __future__ import annotations

import ctypes
from typing import Any, Dict, Optional, Union

from . import _lib
from .dtypes import from_bytes, resolve, to_bytes
from .errors import check
from .memory import Handle, Memory

__all__ = ["Bounded"]


class Bounded(Handle):
    """Base of Queue and Stack: ``_kind`` names the C functions (zeroipc_queue_*, zeroipc_stack_*),
    ``_variants`` maps variant names to their §6.2 numbers."""

    _kind = ""
    _variants: Dict[str, int] = {}

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int],
                 variant: Union[str, int]) -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(self._c("open")(h, _lib.encode(name), self.element_size, self.dtype_code, ctypes.byref(out)))
        else:
            code = self._variants.get(variant) if isinstance(variant, str) else int(variant)
            if code is None:
                raise ValueError(f"unknown {self._kind} variant {variant!r} (one of {', '.join(self._variants)})")
            check(self._c("create")(h, _lib.encode(name), code, capacity, self.element_size, self.dtype_code,
                                    ctypes.byref(out)))
        self._adopt(out, self._c("close"))
        self._buf = ctypes.create_string_buffer(self.element_size)

    def _c(self, operation: str) -> Any:
        return getattr(_lib.lib, f"zeroipc_{self._kind}_{operation}")

    def push(self, value: Any) -> bool:
        """Pushes one element: True, or False when it is full now."""
        return check(self._c("push")(self._handle(), to_bytes(value, self.dtype))) == _lib.OK

    def pop(self) -> Any:
        """Pops one element (a copy), or None when it is empty now."""
        if check(self._c("pop")(self._handle(), self._buf)) != _lib.OK:
            return None
        return from_bytes(self._buf.raw, self.dtype)

    @property
    def capacity(self) -> int:
        return self._c("capacity")(self._handle())
