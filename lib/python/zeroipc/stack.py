"""Stack (§7.3): a bounded LIFO of fixed-size elements."""

from __future__ import annotations

from typing import Any, Optional, Union

from .bounded import Bounded
from .memory import Memory

__all__ = ["Stack", "STACK_VARIANTS"]

#: §6.2 stack variants (elimination_backoff exists in the format but the C library does not run it).
STACK_VARIANTS = {"treiber_tagged": 1, "elimination_backoff": 2}


class Stack(Bounded):
    """The shared Stack ``name`` of ``mem`` with elements of ``dtype``.

    ``Stack(mem, name, dtype=...)`` opens it; ``Stack(mem, name, dtype=..., capacity=n,
    variant="treiber_tagged")`` creates it, or opens it (same variant, element size, dtype code
    and capacity: MismatchError otherwise). elimination_backoff raises NotSupported.
    A push or pop may raise LimitReached when 128 threads already hold slots of the stack.
    """

    _kind = "stack"
    _variants = STACK_VARIANTS

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None,
                 variant: Union[str, int] = "treiber_tagged") -> None:
        super().__init__(mem, name, dtype, capacity, variant)

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Stack {self.name!r} closed>"
        return f"<zeroipc.Stack {self.name!r} capacity={self.capacity} dtype={self.dtype}>"
