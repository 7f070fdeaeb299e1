"""Queue (§7.2): a bounded FIFO of fixed-size elements."""

from __future__ import annotations

from typing import Any, Optional, Union

from . import _lib
from .bounded import Bounded
from .memory import Memory

__all__ = ["Queue", "VARIANTS"]

#: §6.2 queue variants (lcrq, scq, lcrq_nodes and scq_indices exist in the format but the C library does not run them).
VARIANTS = {"vyukov_bounded": 1, "lcrq": 2, "scq": 3, "spsc_ring": 4, "locked_ring": 5, "lcrq_nodes": 6,
            "scq_indices": 7}
_VARIANT_NAMES = {v: k for k, v in VARIANTS.items()}


class Queue(Bounded):
    """The shared Queue ``name`` of ``mem`` with elements of ``dtype``.

    ``Queue(mem, name, dtype=...)`` opens it (the variant read from its header);
    ``Queue(mem, name, dtype=..., capacity=n, variant="vyukov_bounded")`` creates it, or opens it
    (same variant, element size, dtype code and capacity). Variants: vyukov_bounded, spsc_ring,
    locked_ring (lcrq, scq, lcrq_nodes and scq_indices raise NotSupported).
    """

    _kind = "queue"
    _variants = VARIANTS

    def __init__(self, mem: Memory, name: str, dtype: Any, capacity: Optional[int] = None,
                 variant: Union[str, int] = "vyukov_bounded") -> None:
        super().__init__(mem, name, dtype, capacity, variant)

    @property
    def variant(self) -> str:
        code = _lib.lib.zeroipc_queue_variant_of(self._handle())
        return _VARIANT_NAMES.get(code, str(code))

    def size_approx(self) -> int:
        """Elements in the queue at some moment during the call."""
        return _lib.lib.zeroipc_queue_size_approx(self._handle())

    def __len__(self) -> int:
        return self.size_approx()

    def __repr__(self) -> str:
        if self.closed:
            return f"<zeroipc.Queue {self.name!r} closed>"
        return f"<zeroipc.Queue {self.name!r} {self.variant} capacity={self.capacity} dtype={self.dtype}>"
