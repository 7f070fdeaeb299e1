"""Iteration over zeroipc.Map and zeroipc.Set (keys(), values(), items(), iter()): snapshots that
the C library copies under one hold of the table's lock (zeroipc_map_snapshot), so no Python code
runs while the lock is held.

Python alone (every key once, values in the order of the keys, tombstones and a rebuild on the
way, a loop body that erases what it iterates, the retry when more keys are present than there
was room for), a Map<u64, f64> and a Map<u64, Order> filled by C++ (interop_cpp map-fill) and a
Set<u32> filled by C++ (set-fill) iterated here with every key and value right, snapshots taken
while a C++ process inserts (each one consistent), and a snapshot after a C++ holder was killed
half-way through an assignment (the snapshot takes the lock over and sees the old value).

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it), the C++ program from
$ZEROIPC_INTEROP_CPP, else the Release build's. Segment names hold this process's pid; every
segment is unlinked at the end, failed or not.
"""

import ctypes
import os
import time

import numpy as np
import pytest

from zeroipc_testkit import CPP_SEGMENT_SIZE, cpp, finish, run_cpp, segment_fixture
from map_kit import ORDER, body_address, f64_value, order_value, stopped_holder

import zeroipc  # lib/python's: zeroipc_testkit put it first on sys.path
from zeroipc import _lib, map as zmap

seg = segment_fixture("pymapiter")


def rebuilds(mem: zeroipc.Memory, name: str) -> int:
    """The locked_probe `rebuilds` counter of `name` (§7.8.1: u64 at body + 112)."""
    return ctypes.c_uint64.from_address(body_address(mem, name) + 112).value


# ------------------------------------------------------------------ Python alone


def test_map_snapshots(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=np.float64, capacity=48)
        assert m.keys() == [] and m.values() == [] and m.items() == [] and list(m) == []
        for k in range(48):
            m[k] = k * 1.5
        for k in range(0, 48, 3):
            del m[k]
        extra = 1000
        while rebuilds(mem, "m") == 0 and extra < 2000:  # until the keys live in the other table
            m[extra] = 0.0
            del m[extra]
            extra += 1
        assert rebuilds(mem, "m") >= 1
        expected = {k: k * 1.5 for k in range(48) if k % 3}
        keys = m.keys()
        assert len(keys) == len(expected) == len(m)
        assert sorted(int(k) for k in keys) == sorted(expected)
        assert all(isinstance(k, np.uint64) for k in keys)
        values = m.values()
        assert [float(v) for v in values] == [expected[int(k)] for k in keys]  # the order of keys()
        items = m.items()
        assert {int(k): float(v) for k, v in items} == expected and len(items) == len(expected)
        assert sorted(int(k) for k in m) == sorted(expected)
        for k in m:  # the loop body may use the map: it iterates a copy, no lock held
            del m[k]
        assert len(m) == 0 and m.items() == []


def test_snapshot_retries_when_short_of_room(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint32, value_dtype=np.int16, capacity=100)
        for k in range(100):
            m[k] = -k
        handle = m._handle()
        calls = []

        def copy(keys, values, room, count):
            calls.append(room)
            return _lib.lib.zeroipc_map_snapshot(handle, keys, values, room, count)

        keys, values, n = zmap._snapshot(copy, 1, 4, 2)  # room for 1 key, 100 present
        assert n == 100 and calls[0] == 1 and len(calls) == 2 and calls[1] >= 100
        assert len(keys) == 400 and len(values) == 200
        ks = np.frombuffer(keys, np.uint32)
        assert sorted(ks.tolist()) == list(range(100))
        assert (np.frombuffer(values, np.int16) == -ks.astype(np.int16)).all()


def test_set_iteration(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        s = zeroipc.Set(mem, "s", key_dtype=np.uint32, capacity=64)
        assert list(s) == [] and s.keys() == []
        for k in range(0, 64, 2):
            s.add(k)
        assert sorted(int(k) for k in s) == list(range(0, 64, 2))
        for k in s:  # the loop body may change the set
            if k % 4:
                s.discard(k)
        assert sorted(int(k) for k in s.keys()) == list(range(0, 64, 4)) and len(s) == 16


def test_structured_keys(seg):
    key_dtype = np.dtype([("a", "<u4"), ("b", "<u2")], align=True)  # 2 padding bytes, zeroed
    with zeroipc.Memory(seg, 1 << 20) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=key_dtype, value_dtype=np.int64, capacity=16)
        for k in range(10):
            m[(k, k + 1)] = -k
        items = m.items()
        assert sorted((int(k["a"]), int(k["b"]), int(v)) for k, v in items) == [(k, k + 1, -k) for k in range(10)]
        for k, v in items:
            assert m[k] == v  # a key from a snapshot finds its value


# ------------------------------------------------------------------ with C++


@pytest.mark.parametrize("kind,dtype,value", [("f64", np.float64, f64_value), ("order", ORDER, order_value)])
def test_cpp_fills_python_iterates(seg, kind, dtype, value):
    n, seed = 300, 29
    assert "filled 300 keys" in run_cpp("map-fill", seg, "m", kind, 400, n, seed)
    with zeroipc.Memory(seg) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=dtype)
        items = m.items()
        assert len(items) == n
        got = {}
        for k, v in items:
            assert int(k) not in got, f"key {k} twice"
            got[int(k)] = v.item() if kind == "f64" else tuple(v)
        assert got == {k: value(k, seed) for k in range(n)}
        assert sorted(int(k) for k in m) == list(range(n)) and len(m.values()) == n


def test_cpp_fills_set_python_iterates(seg):
    assert "filled 100 keys" in run_cpp("set-fill", seg, "s", 128, 100)
    with zeroipc.Memory(seg) as mem:
        s = zeroipc.Set(mem, "s", key_dtype=np.uint32)
        keys = [int(k) for k in s]
        assert sorted(keys) == [k * 7 + 1 for k in range(100)]


def test_snapshots_while_cpp_inserts(seg):
    """C++ inserts keys 0..n-1 (value k * 0.5 + 1) while Python takes snapshots: each holds every
    key at most once with its right value, and none is smaller than the one before (keys are
    only added)."""
    n = 20000
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=np.float64, capacity=n)
        gate = zeroipc.Set(mem, "gate", key_dtype=np.uint64, capacity=2)
        writer = cpp("map-insert-range", seg, "m", "gate", 0, n)
        gate.add(os.getpid())
        sizes = []
        deadline = time.monotonic() + 60
        while True:
            done = writer.poll() is not None
            items = m.items()
            keys = np.array([int(k) for k, _ in items], dtype=np.uint64)
            values = np.array([float(v) for _, v in items])
            assert len(np.unique(keys)) == len(keys)
            assert (values == keys * 0.5 + 1).all()
            assert not sizes or len(items) >= sizes[-1]
            sizes.append(len(items))
            if done or time.monotonic() > deadline:
                break
        finish(writer)
        assert sizes[-1] == n and sorted(int(k) for k in m) == list(range(n))


def test_snapshot_takes_over_a_dead_holder(seg):
    n, seed = 50, 5
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=np.float64, capacity=64)
        for k in range(n):
            m[k] = f64_value(k, seed)
        holder = stopped_holder(seg, "m", 3)
        holder.kill()
        holder.communicate(timeout=30)
        items = dict((int(k), float(v)) for k, v in m.items())  # takes the lock over, repairs first
        assert items == {k: f64_value(k, seed) for k in range(n)}
