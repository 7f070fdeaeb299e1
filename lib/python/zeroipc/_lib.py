"""Loads the C library (libzeroipc-c.so) and declares the ctypes prototype of every function used.

Where the library comes from, in order:

1. the environment variable ``ZEROIPC_C_LIBRARY`` (a path to the shared library; when set, only it);
2. the package's own copy, ``zeroipc/_libzeroipc_c*.so``, compiled from lib/c by ``pip install`` (setup.py);
3. the repository's build tree, ``<repo>/build/lib/c/libzeroipc-c.so`` relative to this package;
4. ``ctypes.util.find_library("zeroipc-c")`` (an installed library).

Why ctypes over the C library rather than a CPython extension: the C library is the format's second
implementation and already has every operation, its atomics and futex waits; ctypes needs no compiler
at import time and no per-version build, and an atomic done in C through ctypes is as real as one done
in an extension module. What a ctypes call costs is measured, in the harness's zeroipc_python_<variant>
transports beside the C and C++ ones (README, "Python").

If none loads, importing :mod:`zeroipc` raises :class:`ImportError` naming what was tried.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import List

from ctypes import (POINTER, Structure, c_char, c_char_p, c_int, c_int64, c_size_t, c_uint8, c_uint32,
                    c_uint64, c_void_p)

__all__ = ["lib", "library_path", "MemoryOptions", "EntryInfo"]


def _load() -> "tuple[ctypes.CDLL, str]":
    tried: List[str] = []
    env = os.environ.get("ZEROIPC_C_LIBRARY")
    if env:  # named explicitly: that one or nothing
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(f"zeroipc: cannot load ZEROIPC_C_LIBRARY={env}: {e}") from None
    here = Path(__file__).resolve().parent
    candidates: List[str] = [str(p) for p in sorted(here.glob("_libzeroipc_c*.so"))]
    candidates.append(str(here.parents[2] / "build" / "lib" / "c" / "libzeroipc-c.so"))
    found = ctypes.util.find_library("zeroipc-c")
    for path in candidates:
        if not os.path.exists(path):
            tried.append(f"{path} (no such file)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    if found:
        try:
            return ctypes.CDLL(found), found
        except OSError as e:
            tried.append(f"find_library('zeroipc-c') -> {found} ({e})")
    else:
        tried.append("ctypes.util.find_library('zeroipc-c') (not found)")
    raise ImportError("zeroipc: cannot load the C library libzeroipc-c.so; tried: " + "; ".join(tried) +
                      ". Set ZEROIPC_C_LIBRARY to its path or build the target zeroipc_c_shared.")


lib, library_path = _load()


class MemoryOptions(Structure):
    """struct zeroipc_memory_options (mode_t is 32-bit unsigned on Linux)."""

    _fields_ = [("table_capacity", c_uint32), ("mode", c_uint32), ("allow_foreign_owner", c_int)]


class EntryInfo(Structure):
    """struct zeroipc_entry_info."""

    _fields_ = [("name", c_char * 32), ("offset", c_uint64), ("size", c_uint64), ("creator_pid", c_uint32)]


_P = c_void_p  # every opaque handle
_PP = POINTER(c_void_p)


def _proto(name: str, restype, *argtypes) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_proto("zeroipc_last_error", c_char_p)
_proto("zeroipc_status_name", c_char_p, c_int)

_proto("zeroipc_memory_default_options", MemoryOptions)
_proto("zeroipc_memory_create", c_int, c_char_p, c_uint64, POINTER(MemoryOptions), _PP)
_proto("zeroipc_memory_open", c_int, c_char_p, c_int, _PP)
_proto("zeroipc_memory_close", None, _P)
_proto("zeroipc_memory_unlink", c_int, c_char_p)
_proto("zeroipc_memory_exists", c_int, c_char_p)
_proto("zeroipc_memory_name", c_char_p, _P)
_proto("zeroipc_memory_size", c_uint64, _P)
_proto("zeroipc_memory_base", c_void_p, _P)
_proto("zeroipc_memory_created", c_int, _P)
_proto("zeroipc_memory_free_bytes", c_uint64, _P)
_proto("zeroipc_table_find", c_int, _P, c_char_p, POINTER(EntryInfo))
_proto("zeroipc_table_entries", c_int, _P, POINTER(EntryInfo), c_size_t, POINTER(c_size_t))
_proto("zeroipc_table_capacity", c_uint32, _P)

_proto("zeroipc_array_create", c_int, _P, c_char_p, c_uint64, c_uint32, c_uint8, _PP)
_proto("zeroipc_array_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_array_close", None, _P)
_proto("zeroipc_array_data", c_void_p, _P)
_proto("zeroipc_array_capacity", c_uint64, _P)
_proto("zeroipc_array_element_size", c_uint32, _P)

_proto("zeroipc_queue_create", c_int, _P, c_char_p, c_int, c_uint64, c_uint32, c_uint8, _PP)
_proto("zeroipc_queue_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_queue_close", None, _P)
_proto("zeroipc_queue_push", c_int, _P, c_void_p)
_proto("zeroipc_queue_pop", c_int, _P, c_void_p)
_proto("zeroipc_queue_capacity", c_uint64, _P)
_proto("zeroipc_queue_variant_of", c_int, _P)
_proto("zeroipc_queue_size_approx", c_uint64, _P)

_proto("zeroipc_stack_create", c_int, _P, c_char_p, c_int, c_uint64, c_uint32, c_uint8, _PP)
_proto("zeroipc_stack_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_stack_close", None, _P)
_proto("zeroipc_stack_push", c_int, _P, c_void_p)
_proto("zeroipc_stack_pop", c_int, _P, c_void_p)
_proto("zeroipc_stack_capacity", c_uint64, _P)

_proto("zeroipc_future_create", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_future_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_future_close", None, _P)
_proto("zeroipc_future_set_value", c_int, _P, c_void_p)
_proto("zeroipc_future_set_error", c_int, _P, c_char_p)
_proto("zeroipc_future_claim_producer", c_int, _P)
_proto("zeroipc_future_get", c_int, _P, c_void_p, c_int64)
_proto("zeroipc_future_is_ready", c_int, _P)

_proto("zeroipc_channel_create", c_int, _P, c_char_p, c_uint64, c_uint32, c_uint8, _PP)
_proto("zeroipc_channel_open", c_int, _P, c_char_p, c_uint32, c_uint8, _PP)
_proto("zeroipc_channel_close_handle", None, _P)
_proto("zeroipc_channel_send", c_int, _P, c_void_p, c_int64)
_proto("zeroipc_channel_receive", c_int, _P, c_void_p, c_int64)
_proto("zeroipc_channel_close", c_int, _P)
_proto("zeroipc_channel_is_closed", c_int, _P)
_proto("zeroipc_channel_capacity", c_uint64, _P)

# Atomics on a u64 word in a segment (the word's address as an int; 8-byte aligned).
_proto("zeroipc_atomic_load_u64", c_uint64, c_void_p)
_proto("zeroipc_atomic_store_u64", None, c_void_p, c_uint64)
_proto("zeroipc_atomic_fetch_add_u64", c_uint64, c_void_p, c_uint64)
_proto("zeroipc_atomic_compare_exchange_u64", c_int, c_void_p, POINTER(c_uint64), c_uint64)

OK, FULL, EMPTY = 0, 1, 2


def encode(name: str) -> bytes:
    """A structure or segment name as the C API takes it (UTF-8)."""
    return name.encode("utf-8") if isinstance(name, str) else bytes(name)


def timeout_ns(timeout: "float | None") -> int:
    """Seconds (None = forever) to the C API's nanoseconds (negative = forever)."""
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout}")
    return min(int(timeout * 1e9), (1 << 63) - 1)
