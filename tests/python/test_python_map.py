"""zeroipc.Map and zeroipc.Set (SPECIFICATION.md §7.8, locked_probe §7.8.1) in Python, and across
languages with the C++ Map / Set (tests/interop/interop_cpp, subcommands map-* and set-*,
listed in tests/interop/interop_cpp_map.h).

Python alone (dict-like use, StructureFull, the checks of open), C++ writes and Python reads
and the reverse for Map<u64, f64>, Map<u64, struct> and Set<u32>, a C++ and a Python process
inserting disjoint keys into one Map at once, a Python writer SIGKILLed at random moments in
a loop of insert_or_assign of 64 KiB values (C++ then takes the lock over where it is held and
finds every value whole, old or new, and the count right), and a C++ holder killed half-way
through an assignment (the next Python operation puts the old value back).

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it), the C++ program from
$ZEROIPC_INTEROP_CPP, else the Release build's. Segment names hold this process's pid; every
segment is unlinked at the end, failed or not.
"""

import ctypes
import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest

from zeroipc_testkit import CPP_SEGMENT_SIZE, INTEROP_CPP, finish, run_child, run_cpp, segment_fixture
from map_kit import ORDER, body_address, f64_value, order_value, stopped_holder

import zeroipc  # lib/python's: zeroipc_testkit put it first on sys.path

BIG = np.dtype([("w", "<u8", (8192,))])  # interop_cpp_map.cpp's Big: 64 KiB
seg = segment_fixture("pymap")


def control(mem, name):
    """The locked_probe control words of `name` (§7.8.1): lock (u32 at body + 0), journal (u64 at + 80)."""
    body = body_address(mem, name)
    return ctypes.c_uint32.from_address(body), ctypes.c_uint64.from_address(body + 80)


# ------------------------------------------------------------------ Python alone


def test_map_like_a_dict(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        m = zeroipc.Map(mem, "prices", key_dtype=np.uint64, value_dtype=np.float64, capacity=8)
        assert len(m) == 0 and m.capacity == 8 and 1 not in m and m.get(1) is None and m.get(1, -1.0) == -1.0
        with pytest.raises(KeyError):
            m[1]
        with pytest.raises(KeyError):
            del m[1]
        m[1] = 2.5
        assert m[1] == 2.5 and 1 in m and len(m) == 1
        assert m.insert(1, 9.0) is False and m[1] == 2.5     # present: unchanged
        assert m.insert_or_assign(1, 3.0) is False and m[1] == 3.0
        assert m.insert(2, 4.0) is True and m.insert_or_assign(3, 5.0) is True
        del m[2]
        assert 2 not in m and len(m) == 2 and m.erase(2) is False
        for k in range(10, 16):
            m[k] = float(k)
        with pytest.raises(zeroipc.StructureFull) as e:
            m[99] = 1.0
        assert str(e.value).endswith(f"segment '{seg}', map 'prices' (locked_probe): holds 8 keys, its capacity")
        m[10] = -10.0  # a present key is no trouble when full
        assert m[10] == -10.0 and len(m) == 8
        assert "8/8 keys uint64 -> float64" in repr(m)

        same = zeroipc.Map(mem, "prices", key_dtype=np.uint64, value_dtype=np.float64)  # open
        assert same[10] == -10.0 and same.capacity == 8
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Map(mem, "prices", key_dtype=np.uint32, value_dtype=np.float64)
        assert str(e.value).endswith("structure 'prices': expected key size 4 bytes, found 8")
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Map(mem, "prices", key_dtype=np.uint64, value_dtype=np.int64)
        assert str(e.value).endswith("expected element type i64, found f64")
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Set(mem, "prices", key_dtype=np.uint64)
        assert str(e.value).endswith("expected set (opened as Set), found map")
        with pytest.raises(zeroipc.InvalidArgument) as e:
            zeroipc.Map(mem, "none", key_dtype=np.uint64, value_dtype=np.float64, capacity=0)
        assert str(e.value).endswith("capacity 0 is not allowed (expected 1 to 3221225472 keys)")
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Map(mem, "absent", key_dtype=np.uint64, value_dtype=np.float64)

        # Struct keys and values; keys inserted and erased far past the capacity (rebuilds).
        key_t = np.dtype([("a", "<u4"), ("b", "<u2")], align=True)  # 2 padding bytes, zeroed by the Map
        s = zeroipc.Map(mem, "orders", key_dtype=key_t, value_dtype=ORDER, capacity=16)
        for round_ in range(30):
            for k in range(12):
                s[(round_, k)] = order_value(k, round_)
            for k in range(12):
                if round_ < 29:
                    del s[(round_, k)]
        assert len(s) == 12 and s[(29, 5)]["price"] == 5 * 0.25 + 29 and (28, 5) not in s


def test_set(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        s = zeroipc.Set(mem, "seen", key_dtype=np.uint32, capacity=4)
        assert s.add(3) is True and s.add(3) is False and 3 in s and 4 not in s and len(s) == 1
        assert s.discard(3) is True and s.discard(3) is False and len(s) == 0
        with pytest.raises(KeyError):
            s.remove(3)
        for k in range(4):
            s.add(k)
        with pytest.raises(zeroipc.StructureFull) as e:
            s.add(7)
        assert "set 'seen' (locked_probe): holds 4 keys, its capacity" in str(e.value)
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Set(mem, "seen", key_dtype=np.uint64)
        assert "expected key size 8 bytes, found 4" in str(e.value)


# ------------------------------------------------------------------ with C++


@pytest.mark.parametrize("kind,dtype,value", [("f64", np.float64, f64_value), ("order", ORDER, order_value)])
def test_cpp_writes_python_reads(seg, kind, dtype, value):
    n, seed = 300, 17
    assert "filled 300 keys" in run_cpp("map-fill", seg, "m", kind, 400, n, seed)
    with zeroipc.Memory(seg) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=dtype)
        assert len(m) == n and m.capacity == 400 and n not in m
        for k in range(n):
            got = m[k]
            assert (got.item() if kind == "f64" else tuple(got)) == value(k, seed), k


@pytest.mark.parametrize("kind,dtype,value", [("f64", np.float64, f64_value), ("order", ORDER, order_value)])
def test_python_writes_cpp_reads(seg, kind, dtype, value):
    n, seed = 300, 23
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=dtype, capacity=400)
        for k in range(n + 50):  # 50 more, erased again: tombstones C++ must step over
            assert m.insert(k, value(k, seed))
        for k in range(n, n + 50):
            del m[k]
        assert "checked 300 keys" in run_cpp("map-check", seg, "m", kind, n, seed)


def test_set_both_ways(seg):
    assert "filled 100 keys" in run_cpp("set-fill", seg, "from_cpp", 128, 100)
    with zeroipc.Memory(seg) as mem:
        s = zeroipc.Set(mem, "from_cpp", key_dtype=np.uint32)
        assert len(s) == 100 and all(k * 7 + 1 in s for k in range(100)) and 2 not in s
        t = zeroipc.Set(mem, "from_py", key_dtype=np.uint32, capacity=64)
        for k in range(50):
            t.add(k * 7 + 1)
    assert "checked 50 keys" in run_cpp("set-check", seg, "from_py", 50)


def test_cpp_and_python_insert_at_once(seg):
    n = 3000
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        m = zeroipc.Map(mem, "both", key_dtype=np.uint64, value_dtype=np.float64, capacity=2 * n)
        zeroipc.Set(mem, "gate", key_dtype=np.uint64, capacity=2)
        child = run_child("""
            import os, time
            mem = zeroipc.Memory(sys.argv[1])
            m = zeroipc.Map(mem, "both", key_dtype=np.uint64, value_dtype=np.float64)
            gate = zeroipc.Set(mem, "gate", key_dtype=np.uint64)
            gate.add(os.getpid())
            deadline = time.monotonic() + 30
            while len(gate) < 2:
                assert time.monotonic() < deadline, "the C++ process never reached the gate"
                time.sleep(0.0001)
            n = int(sys.argv[2])
            for k in range(n, 2 * n):
                assert m.insert(k, k * 0.5 + 1)
            print("inserted", n)
            """, seg, n)
        r = subprocess.run([str(INTEROP_CPP), "map-insert-range", seg, "both", "gate", "0", str(n)],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "inserted 3000" in finish(child, timeout=60)
        assert r.returncode == 0, r.stderr
        assert len(m) == 2 * n
        assert all(m[k] == f64_value(k, 1) for k in range(2 * n))
    assert "checked 6000 keys" in run_cpp("map-check", seg, "both", "f64", 2 * n, 1)


WRITER = """
    import itertools
    mem = zeroipc.Memory(sys.argv[1])
    big = np.dtype([("w", "<u8", (8192,))])
    m = zeroipc.Map(mem, "big", key_dtype=np.uint64, value_dtype=big)
    n, first = int(sys.argv[2]), int(sys.argv[3])
    words = np.zeros(n, dtype=big)
    base = (np.arange(n, dtype=np.uint64)[:, None] << np.uint64(13)) | np.arange(8192, dtype=np.uint64)
    for gen in itertools.count(first):
        words["w"] = base | (np.uint64(gen) << np.uint64(32))  # this round's values, made outside the lock
        for k in range(n):
            assert m.insert_or_assign(k, words[k:k + 1]) is False
        if gen == first:  # in its loop now: the kill lands among rounds, not in the start-up
            print("started", flush=True)
    """


def big_value(gen, k):
    rec = np.zeros((), dtype=BIG)
    rec["w"][:] = (np.uint64(gen) << np.uint64(32)) | np.uint64(k << 13) | np.arange(8192, dtype=np.uint64)
    return rec


def test_python_writer_killed_cpp_takes_over(seg):
    n = 32
    rng = random.Random(os.getpid())
    with zeroipc.Memory(seg, 16 << 20) as mem:  # 2 tables of 64 slots of 64 KiB
        m = zeroipc.Map(mem, "big", key_dtype=np.uint64, value_dtype=BIG, capacity=n)
        for k in range(n):
            m.insert(k, big_value(1, k))
        lock, journal = control(mem, "big")
        kills = held = journalled = 0
        # A kill finds the lock held in roughly a third of the rounds' time here, far less on a loaded
        # machine: keep killing (up to 120 times) until two did, so the takeover is surely exercised.
        while (kills < 6 or held < 2) and kills < 120:
            kills += 1
            child = run_child(WRITER, seg, n, kills * 1000)
            assert child.stdout.readline().strip() == "started", child.stderr.read()
            # At a random moment of its loop (several rounds a millisecond or so each).
            time.sleep(rng.uniform(0.02, 0.25))
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=30)
            assert child.returncode == -signal.SIGKILL
            held += lock.value != 0
            journalled += journal.value != 0
            if kills % 2 == 0:  # C++ opens it now (taking the lock over if held); else the next writer does
                assert f"ok {n} keys" in run_cpp("map-big-check", seg, "big", n)
                assert lock.value == 0 and journal.value == 0
        out = run_cpp("map-big-check", seg, "big", n)
        assert f"ok {n} keys" in out
        assert held >= 2, f"only {held} of {kills} kills found the lock held"
        assert lock.value == 0 and journal.value == 0 and len(m) == n
        gens = [int(m[k]["w"][0]) >> 32 for k in range(n)]
        for k in range(n):  # whole values, and generations non-increasing by key (assigned in order)
            assert np.array_equal(m[k]["w"], big_value(gens[k], k)["w"]), k
        assert gens == sorted(gens, reverse=True)
        print(f"{kills} kills, {held} with the lock held, {journalled} mid-assignment; {out.strip()}")


def test_cpp_holder_killed_mid_assignment(seg):
    n, seed = 50, 5
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        m = zeroipc.Map(mem, "m", key_dtype=np.uint64, value_dtype=np.float64, capacity=64)
        for k in range(n):
            m[k] = f64_value(k, seed)
        holder = stopped_holder(seg, "m", 3)
        lock, journal = control(mem, "m")
        assert lock.value != 0 and journal.value != 0  # the old value journalled, half the new one written
        holder.kill()
        holder.communicate(timeout=30)
        assert m[3] == f64_value(3, seed)  # taken over: the old value put back
        assert lock.value == 0 and journal.value == 0 and len(m) == n
        m[3] = 1.0
        m[3] = f64_value(3, seed)
    assert "checked 50 keys" in run_cpp("map-check", seg, "m", "f64", n, seed)
