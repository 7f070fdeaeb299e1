"""What the Map tests (test_python_map.py, test_python_map_iter.py) share: interop_cpp_map.cpp's value
types and values (interop_cpp_map.h), the locked_probe control words, and a C++ lock holder."""

from __future__ import annotations

import subprocess

import numpy as np

from zeroipc_testkit import cpp

ORDER = np.dtype([("id", "<u8"), ("price", "<f8"), ("qty", "<i4")], align=True)  # interop_cpp_map.cpp's Order


def f64_value(k: int, seed: int) -> float:
    """interop_cpp_map.cpp's value(k, seed) for f64."""
    return k * 0.5 + seed


def order_value(k: int, seed: int) -> tuple:
    """interop_cpp_map.cpp's value(k, seed) for Order."""
    return (k ^ seed, k * 0.25 + seed, -3 * k)


def body_address(mem, name: str) -> int:
    """The address, in this process, of the structure `name`'s body (§6: 64 bytes after its header)."""
    entry = next(e for e in mem.entries() if e.name == name)
    return mem.base + entry.offset + 64


def stopped_holder(seg: str, name: str, key: int) -> subprocess.Popen:
    """A C++ process stopped inside insert_or_assign(key, -1) on the Map<u64, f64> `name`, holding its
    lock with the old value journalled (interop_cpp map-hold); the caller kills it."""
    holder = cpp("map-hold", seg, name, str(key))
    line = holder.stdout.readline().strip()
    assert line == f"held {holder.pid}", holder.stderr.read()
    return holder
