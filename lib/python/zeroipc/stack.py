"""Stack (§7.3): a bounded LIFO of fixed-size elements."""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Union

from . import _lib
from .dtypes import resolve
from .errors import check
from .memory import Handle, Memory
from .queue import _from_bytes, _to_bytes

__all__ = ["Stack", "STACK_VARIANTS"]

#: §6.2 stack variants (elimination_backoff exists in the format but the C library does not run it).
STACK_VARIANTS = {"treiber_tagged": 1, "elimination_backoff": 2}


class Stack(Handle):
    """The shared Stack ``name`` of ``mem`` with elements of ``dtype``.

    ``Stack(mem, name, dtype=...)`` opens it; ``Stack(mem, name, dtype=..., capacity=n,
    variant="treiber_tagged")`` creates it, or opens it (same variant, element size, dtype code
    and capacity: MismatchError otherwise). elimination_backoff raises NotSupported.
    A push or pop may raise LimitReached when 128 threads already hold slots of the stack.
    """

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None,
                 variant: Union[str, int] = "treiber_tagged") -> None:
        self.dtype, self.element_size, self.dtype_code = resolve(dtype)
        self.name = name
        out = ctypes.c_void_p()
        h = mem._handle()
        if capacity is None:
            check(_lib.lib.zeroipc_stack_open(h, _lib.encode(name), self.element_size, self.dtype_code,
                                              ctypes.byref(out)))
        else:
            code = STACK_VARIANTS.get(variant) if isinstance(variant, str) else int(variant)
            if code is None:
                raise ValueError(f"unknown stack variant {variant!r} (one of {', '.join(STACK_VARIANTS)})")
            check(_lib.lib.zeroipc_stack_create(h, _lib.encode(name), code, capacity, self.element_size,
                                                self.dtype_code, ctypes.byref(out)))
        self._adopt(out, _lib.lib.zeroipc_stack_close)
        self._buf = ctypes.create_string_buffer(self.element_size)

    def push(self, value: Any) -> bool:
        """Pushes one element: True, or False when the stack is full now."""
        return check(_lib.lib.zeroipc_stack_push(self._handle(), _to_bytes(value, self.dtype))) == _lib.OK

    def pop(self) -> Any:
        """Pops the top element (a copy), or None when the stack is empty now."""
        if check(_lib.lib.zeroipc_stack_pop(self._handle(), self._buf)) != _lib.OK:
            return None
        return _from_bytes(self._buf.raw, self.dtype)

    @property
    def capacity(self) -> int:
        return _lib.lib.zeroipc_stack_capacity(self._handle())

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Stack {self.name!r} closed>"
        return f"<zeroipc.Stack {self.name!r} capacity={self.capacity} dtype={self.dtype}>"
