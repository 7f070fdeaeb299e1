"""Exceptions: one class per C status (and C++ exception of zeroipc/error.h).

Every message is ``zeroipc_last_error()`` of the failing call, i.e. the text the C++ library
would have thrown for the same failure.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _lib

__all__ = ["Error", "NotFound", "CorruptSegment", "VersionMismatch", "InvalidName", "InvalidArgument",
           "MismatchError", "Mismatch", "SegmentFull", "TableFull", "RoleTaken", "ForeignSegment",
           "LimitReached", "Timeout", "OutOfRange", "FutureError", "LazyError", "ChannelClosed", "SystemError_",
           "NotSupported", "NoMemory", "StructureFull", "check"]


class Error(Exception):
    """Base of every zeroipc error. ``status`` is the C status code (negative)."""

    status: int = 0

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(Error):
    """No such segment or structure."""


class CorruptSegment(Error):
    """The bytes break the format."""


class VersionMismatch(Error):
    """A format version this build does not read."""


class InvalidName(Error):
    """A segment or structure name the format does not allow."""


class InvalidArgument(Error):
    """An argument out of its domain."""


class MismatchError(Error):
    """The structure exists with another kind, variant, element size, dtype or capacity."""


Mismatch = MismatchError


class SegmentFull(Error):
    """No room left in the segment's heap."""


class TableFull(Error):
    """Every name-table entry is used."""


class RoleTaken(Error):
    """An spsc_ring producer/consumer role is held by another live process."""


class ForeignSegment(Error):
    """The segment file belongs to another user."""


class LimitReached(Error):
    """Every thread slot is held."""


class Timeout(Error, TimeoutError):
    """A bounded wait ran out."""


class OutOfRange(Error):
    """An index out of range."""


class FutureError(Error):
    """A Future failed: ``reason`` is "error_set" (the message is the producer's), "producer_died"
    or "already_set"."""

    def __init__(self, message: str, status: Optional[int] = None, reason: str = "error_set") -> None:
        super().__init__(message, status)
        self.reason = reason


class LazyError(Error):
    """A Lazy failed: ``reason`` is "computation_failed" (the message has the computation's error),
    "owner_died" (the computing process died and nobody with the computation took over in time),
    "no_computation" (nobody computed it in time), "busy" (invalidate while a live process
    computes it) or "recursive" (the computation asked for its own value)."""

    def __init__(self, message: str, status: Optional[int] = None, reason: str = "computation_failed") -> None:
        super().__init__(message, status)
        self.reason = reason


class ChannelClosed(Error):
    """The channel is closed (send), or closed and drained (receive)."""


class SystemError_(Error, OSError):
    """A system call failed (errno in the message)."""


class NotSupported(Error):
    """A variant the C implementation does not run (lcrq, scq, elimination_backoff)."""


class NoMemory(Error, MemoryError):
    """malloc failed in this process."""


class StructureFull(Error):
    """A Map or Set holds its capacity of keys and the key is not one of them (the C++
    StructureFull; the C call answers ZEROIPC_FULL with this message)."""


_BY_STATUS: Dict[int, Type[Error]] = {
    -1: NotFound, -2: CorruptSegment, -3: VersionMismatch, -4: InvalidName, -5: InvalidArgument,
    -6: MismatchError, -7: SegmentFull, -8: TableFull, -9: RoleTaken, -10: ForeignSegment,
    -11: LimitReached, -12: Timeout, -13: OutOfRange, -17: ChannelClosed, -18: SystemError_,
    -19: NotSupported, -20: NoMemory,
}
_FUTURE_REASONS = {-14: "error_set", -15: "producer_died", -16: "already_set"}
_LAZY_REASONS = {-21: "computation_failed", -22: "owner_died", -23: "no_computation", -24: "busy",
                 -25: "recursive"}


def error_for(status: int) -> Error:
    """The exception for a negative status; call it right after the failing C call, in the same
    thread (zeroipc_last_error() is per thread)."""
    raw = _lib.lib.zeroipc_last_error()
    message = raw.decode("utf-8", "replace") if raw else ""
    if status in _FUTURE_REASONS:
        return FutureError(message, status, _FUTURE_REASONS[status])
    if status in _LAZY_REASONS:
        return LazyError(message, status, _LAZY_REASONS[status])
    cls = _BY_STATUS.get(status, Error)
    if not message:
        name = _lib.lib.zeroipc_status_name(status)
        message = name.decode() if name else f"zeroipc status {status}"
    return cls(message, status)


def check(status: int) -> int:
    """Returns a non-negative status (OK, FULL, EMPTY); raises the matching Error for a negative one."""
    if status < 0:
        raise error_for(status)
    return status
