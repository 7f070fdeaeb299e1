"""zeroipc: shared-memory IPC structures, in the zeroipc binary format (SPECIFICATION.md).

A ctypes binding of the C library (lib/c, libzeroipc-c.so); C, C++ and Python processes share
one segment and its structures byte for byte::

    import numpy as np, zeroipc
    with zeroipc.Memory("/sensor_data", 1 << 20) as mem:
        temps = zeroipc.Array(mem, "temperature", dtype=np.float32, capacity=100)
        temps[:] = 20.0                                   # straight into shared memory
        q = zeroipc.Queue(mem, "orders", dtype=np.uint64, capacity=64)
        q.push(7); q.pop()                                # None when empty
        s = zeroipc.Stack(mem, "work", dtype=np.int32, capacity=16)   # LIFO, same shape
        hits = zeroipc.Array(mem, "hits", dtype=np.uint64, capacity=1)
        zeroipc.AtomicU64(hits, 0).fetch_add(1)           # a real atomic, across processes

The library is found through $ZEROIPC_C_LIBRARY, the build tree, or the system (see _lib).
"""

from ._lib import library_path
from .errors import (ChannelClosed, CorruptSegment, Error, ForeignSegment, FutureError, InvalidArgument,
                     InvalidName, LimitReached, Mismatch, MismatchError, NoMemory, NotFound, NotSupported,
                     OutOfRange, RoleTaken, SegmentFull, SystemError_, TableFull, Timeout, VersionMismatch)
from .errors import StructureFull
from .dtypes import code_of as dtype_code
from .memory import Entry, Memory, exists, unlink
from .table import StructureInfo, Table
from .array import Array
from .queue import VARIANTS, Queue
from .stack import STACK_VARIANTS, Stack
from .atomic import AtomicU64
from .future import Future
from .lazy import Lazy
from .errors import LazyError
from .channel import Channel
from .stream import Cursor, Stream, StreamClosed
from .map import Map, Set
from .inspection import inspect, table_rows

__version__ = "0.1.0"

__all__ = [
    "Memory", "Entry", "Table", "StructureInfo", "Array", "Queue", "Stack", "AtomicU64", "Future", "Channel", "VARIANTS",
    "STACK_VARIANTS", "inspect", "table_rows", "unlink", "exists", "dtype_code",
    "library_path", "Error", "NotFound", "CorruptSegment", "VersionMismatch", "InvalidName",
    "InvalidArgument", "MismatchError", "Mismatch", "SegmentFull", "TableFull", "RoleTaken",
    "ForeignSegment", "LimitReached", "Timeout", "OutOfRange", "FutureError", "ChannelClosed",
    "SystemError_", "NotSupported", "NoMemory",
    "Lazy", "LazyError",
    "Stream", "Cursor", "StreamClosed",
    "Map", "Set", "StructureFull",
]
