"""The Python package (lib/python, import name zeroipc): a ctypes binding of the C library.

Memory create/open, Array as a no-copy NumPy view shared with another process, a Queue of a
structured dtype, a Stack (LIFO), errors carrying the C library's message (MismatchError,
NotFound, Timeout, ChannelClosed), a Future set by another process, a Channel between two Python
processes, AtomicU64 (real atomics through the C library); with the C++ library
(tests/interop/interop_cpp), in both directions: 100k items on each shared queue variant, an Array of
structured records (every byte), a Stack (LIFO), a Future (a reader asleep on the futex), Channels
(rendezvous and buffered, closed by the sender); one counter incremented by compare-and-swap from two
Python processes and a C++ one at once; the Table of structures made in both languages.

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it), else the package's own search (the
Release build tree); the C++ program from $ZEROIPC_INTEROP_CPP, else the Release build's.
Segment names hold this process's pid; every segment is unlinked at the end, failed or not.
"""

import ctypes
import os
import time

import numpy as np
import pytest

from zeroipc_testkit import CPP_SEGMENT_SIZE, cpp, finish, needs_cpp, run_child, segment_fixture

import zeroipc  # lib/python's: zeroipc_testkit put it first on sys.path
from zeroipc import _lib

ORDER = np.dtype([("id", "<u8"), ("price", "<f8"), ("qty", "<i4")], align=True)
seg = segment_fixture("pytest")


def c_last_error():
    return _lib.lib.zeroipc_last_error().decode()


# ------------------------------------------------------------------ Memory


def test_memory_create_open_close(seg):
    with pytest.raises(zeroipc.NotFound) as e:
        zeroipc.Memory(seg)
    assert seg in str(e.value) and "does not exist" in str(e.value)
    assert not zeroipc.exists(seg)
    with zeroipc.Memory(seg, 1 << 20) as m:
        assert m.created and m.size == 1 << 20 and m.name == seg and m.base != 0
        assert zeroipc.exists(seg)
        with zeroipc.Memory(seg) as m2:
            assert not m2.created and m2.size == 1 << 20
        assert m2.closed
        with zeroipc.Memory(seg, 4096) as m3:  # create-or-open: opens the bigger one
            assert not m3.created
    assert m.closed
    with pytest.raises(ValueError):
        _ = m.size
    m.close()  # idempotent
    assert zeroipc.unlink(seg) is True and zeroipc.unlink(seg) is False


def test_invalid_name():
    with pytest.raises(zeroipc.InvalidName):
        zeroipc.Memory("no_slash" + "x" * 300, 4096)


# ------------------------------------------------------------------ Array


def test_array_no_copy_across_processes(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        temps = zeroipc.Array(mem, "temperature", dtype=np.float32, capacity=100)
        assert isinstance(temps, np.ndarray) and temps.shape == (100,) and temps.dtype == np.float32
        assert temps.capacity == 100 and temps.name == "temperature"
        assert (temps == 0).all()  # created zero-filled
        addr = temps.__array_interface__["data"][0]
        assert mem.base < addr < mem.base + mem.size  # the segment's own bytes, not a copy
        temps[:] = np.arange(100, dtype=np.float32) * 0.5
        view = temps[10:20]  # a slice keeps the mapping alive too
        child = run_child("""
            mem = zeroipc.Memory(sys.argv[1])
            t = zeroipc.Array(mem, "temperature", dtype=np.float32)
            assert t.shape == (100,), t.shape
            assert (t == np.arange(100, dtype=np.float32) * 0.5).all(), t
            t[10:20] = -1.0          # written back through the child's own mapping
            mem.close()
            print("ok")
        """, seg)
        assert finish(child).strip() == "ok"
        assert (view == -1.0).all() and temps[9] == 4.5 and temps[20] == 10.0
    # the memory handle is closed; the array's handle keeps the mapping
    del temps
    assert (view == -1.0).all()


def test_array_results_are_shared_only_when_they_are_the_shared_bytes(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        a = zeroipc.Array(mem, "a", dtype=np.float32, capacity=10)
        a[:] = np.arange(10)
        # New results live in this process: plain ndarrays and NumPy scalars, never an Array.
        assert type(a * 2) is np.ndarray and type(np.sqrt(a)) is np.ndarray
        assert type(a[:5].mean()) is np.float32 and a[:5].mean() == 2.0
        assert type(a.sum()) is np.float32 and a.sum() == 45.0
        # Views and in-place results are the shared bytes: Arrays, and another handle sees the writes.
        assert type(a[2:]) is zeroipc.Array and a[2:].name == "a"
        a += 1
        np.multiply(a, 2, out=a)
        assert type(a) is zeroipc.Array
        assert list(zeroipc.Array(mem, "a", dtype=np.float32)[:3]) == [2.0, 4.0, 6.0]


def test_array_wrong_dtype_is_mismatch_with_c_message(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        zeroipc.Array(mem, "a", dtype=np.float32, capacity=8)
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Array(mem, "a", dtype=np.float64)
        assert "expected element size 8 bytes, found 4" in str(e.value)
        with pytest.raises(zeroipc.Mismatch):  # same size, other dtype code
            zeroipc.Array(mem, "a", dtype=np.int32)
        with pytest.raises(zeroipc.MismatchError):
            zeroipc.Array(mem, "a", dtype=np.float32, capacity=9)


# ------------------------------------------------------------------ Queue


def test_structured_queue_push_pop(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        with zeroipc.Queue(mem, "orders", dtype=ORDER, capacity=64, variant="vyukov_bounded") as q:
            assert q.capacity == 64 and q.variant == "vyukov_bounded" and q.pop() is None
            assert q.push(np.array((1, 99.5, 10), dtype=ORDER))
            assert q.push((2, 100.25, -3))
        q2 = zeroipc.Queue(mem, "orders", dtype=ORDER)  # opens: the variant read from the header
        assert q2.variant == "vyukov_bounded" and len(q2) == 2
        item = q2.pop()
        assert item["id"] == 1 and item["price"] == 99.5 and item["qty"] == 10
        assert tuple(q2.pop().tolist()) == (2, 100.25, -3)
        assert q2.pop() is None
        for i in range(64):
            assert q2.push((i, 0.0, 0))
        assert q2.push((99, 0.0, 0)) is False  # full
        q2.close()


@pytest.mark.parametrize("variant", ["spsc_ring", "locked_ring"])
def test_queue_variants(seg, variant):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        q = zeroipc.Queue(mem, "q", dtype=np.int32, capacity=4, variant=variant)
        assert q.variant == variant
        for v in (5, -6, 7):
            assert q.push(v)
        assert [q.pop(), q.pop(), q.pop(), q.pop()] == [5, -6, 7, None]
        q.close()


def test_queue_wrong_dtype_message_is_the_c_librarys(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        zeroipc.Queue(mem, "orders", dtype=ORDER, capacity=8).close()
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Queue(mem, "orders", dtype=np.uint64)
        # the same call straight through the C API gives the same text
        out = ctypes.c_void_p()
        status = _lib.lib.zeroipc_queue_open(mem._handle(), b"orders", 8, 8, ctypes.byref(out))
        assert status == -6 and str(e.value) == c_last_error()
        assert "expected element size 8 bytes, found 24" in str(e.value)
        assert e.value.status == -6 and isinstance(e.value, zeroipc.Error)
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Queue(mem, "missing", dtype=np.uint64)
        with pytest.raises(zeroipc.NotSupported):
            zeroipc.Queue(mem, "lq", dtype=np.uint64, capacity=8, variant="lcrq")
        with pytest.raises(ValueError):
            zeroipc.Queue(mem, "bad", dtype=np.uint64, capacity=8, variant="nope")


# ------------------------------------------------------------------ Stack


def test_stack_lifo_full_empty(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        with zeroipc.Stack(mem, "work", dtype=np.int64, capacity=4) as st:
            assert st.capacity == 4 and st.pop() is None
            for v in (10, -20, 30, 1 << 40):
                assert st.push(v)
            assert st.push(99) is False  # full
        st2 = zeroipc.Stack(mem, "work", dtype=np.int64)  # opens
        assert st2.capacity == 4
        assert [st2.pop(), st2.pop()] == [1 << 40, 30]  # LIFO
        assert st2.push(7)
        assert [st2.pop(), st2.pop(), st2.pop(), st2.pop()] == [7, -20, 10, None]
        st2.close()
        assert st2.closed
        with pytest.raises(ValueError):
            st2.push(1)
        with zeroipc.Stack(mem, "orders", dtype=ORDER, capacity=2, variant="treiber_tagged") as so:
            assert so.push((1, 2.5, -3)) and so.push(np.array((4, 5.5, 6), dtype=ORDER))
            assert tuple(so.pop().tolist()) == (4, 5.5, 6) and so.pop()["qty"] == -3


def test_stack_wrong_dtype_and_variant(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        zeroipc.Stack(mem, "s", dtype=np.uint32, capacity=8).close()
        with pytest.raises(zeroipc.MismatchError) as e:
            zeroipc.Stack(mem, "s", dtype=np.uint64)
        assert "expected element size 8 bytes, found 4" in str(e.value) and str(e.value) == c_last_error()
        with pytest.raises(zeroipc.MismatchError):  # same size, other dtype code
            zeroipc.Stack(mem, "s", dtype=np.float32)
        with pytest.raises(zeroipc.MismatchError):
            zeroipc.Stack(mem, "s", dtype=np.uint32, capacity=9)
        zeroipc.Queue(mem, "q", dtype=np.uint32, capacity=8).close()
        with pytest.raises(zeroipc.MismatchError):  # a queue is not a stack
            zeroipc.Stack(mem, "q", dtype=np.uint32)
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Stack(mem, "missing", dtype=np.uint32)
        with pytest.raises(zeroipc.NotSupported):
            zeroipc.Stack(mem, "eb", dtype=np.uint32, capacity=8, variant="elimination_backoff")
        with pytest.raises(ValueError):
            zeroipc.Stack(mem, "bad", dtype=np.uint32, capacity=8, variant="nope")


# ------------------------------------------------------------------ AtomicU64


def test_atomic_u64_semantics(seg):
    top = (1 << 64) - 1
    with zeroipc.Memory(seg, 1 << 20) as mem:
        arr = zeroipc.Array(mem, "words", dtype=np.uint64, capacity=4)
        a = zeroipc.AtomicU64(arr, 2)
        assert a.index == 2 and a.array is arr and a.address == arr.__array_interface__["data"][0] + 16
        assert a.load() == 0
        a.store(41)
        assert arr[2] == 41 and a.load() == 41 and arr[1] == 0 and arr[3] == 0  # the shared word itself
        arr[2] = 5
        assert a.load() == 5
        assert a.fetch_add(10) == 5 and a.load() == 15
        assert a.fetch_add(-3) == 15 and a.load() == 12  # negative delta subtracts
        assert a.compare_exchange(12, 100) == (True, 12) and a.load() == 100
        assert a.compare_exchange(12, 7) == (False, 100) and a.load() == 100  # unchanged, current returned
        a.store(top)
        assert a.load() == top and a.fetch_add(1) == top and a.load() == 0  # wraps modulo 2**64
        assert a.compare_exchange(0, top) == (True, 0) and int(arr[2]) == top
        last = zeroipc.AtomicU64(arr, -1)  # counts from the end
        assert last.index == 3 and last.fetch_add(2) == 0 and arr[3] == 2
        assert zeroipc.AtomicU64(arr[2:], 1).load() == 2  # a slice of the array
        with pytest.raises(OverflowError):
            a.store(-1)
        with pytest.raises(OverflowError):
            a.store(1 << 64)
        with pytest.raises(OverflowError):
            a.compare_exchange(0, 1 << 64)
        with pytest.raises(IndexError):
            zeroipc.AtomicU64(arr, 4)
        with pytest.raises(IndexError):
            zeroipc.AtomicU64(arr, -5)
        with pytest.raises(TypeError):
            zeroipc.AtomicU64(zeroipc.Array(mem, "f", dtype=np.float64, capacity=2), 0)
        with pytest.raises(TypeError):  # private memory: not shared, refused
            zeroipc.AtomicU64(np.zeros(2, dtype=np.uint64), 0)
        raw = zeroipc.Array(mem, "raw", dtype=np.uint8, capacity=64)
        with pytest.raises(ValueError, match="not 8-byte aligned"):
            zeroipc.AtomicU64(raw[1:57].view(np.uint64), 0)
        # the atomic keeps the array (and the mapping) alive
        b = zeroipc.AtomicU64(zeroipc.Array(mem, "kept", dtype=np.uint64, capacity=1), 0)
    del arr
    b.store(9)
    assert b.load() == 9 and b.fetch_add(1) == 9


# ------------------------------------------------------------------ Future


def test_future_set_in_another_process(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        f = zeroipc.Future(mem, "expensive_calc", dtype=np.float64, create=True)
        assert not f.is_ready()
        child = run_child("""
            import time
            mem = zeroipc.Memory(sys.argv[1])
            f = zeroipc.Future(mem, "expensive_calc", dtype=np.float64)
            time.sleep(0.2)
            f.set(3.25)
        """, seg)
        t0 = time.monotonic()
        assert f.get(timeout=10.0) == 3.25
        assert time.monotonic() - t0 < 10
        finish(child)
        assert f.is_ready() and f.get(timeout=0) == 3.25
        with pytest.raises(zeroipc.FutureError) as e:
            f.set(1.0)
        assert e.value.reason == "already_set"
        f.close()


def test_future_timeout_and_error(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        f = zeroipc.Future(mem, "f", dtype=np.int64, create=True)
        t0 = time.monotonic()
        with pytest.raises(zeroipc.Timeout) as e:
            f.get(timeout=0.1)
        assert 0.05 < time.monotonic() - t0 < 5
        assert isinstance(e.value, TimeoutError) and str(e.value) == c_last_error()
        f.set_error("it broke")
        with pytest.raises(zeroipc.FutureError) as e:
            f.get(timeout=1.0)
        assert e.value.reason == "error_set" and "it broke" in str(e.value)
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Future(mem, "nope", dtype=np.int64)


# ------------------------------------------------------------------ Channel


def test_channel_between_two_processes(seg):
    n = 2000
    with zeroipc.Memory(seg, 1 << 20) as mem:
        ch = zeroipc.Channel(mem, "tasks", dtype=np.int64, capacity=4)
        child = run_child("""
            mem = zeroipc.Memory(sys.argv[1])
            ch = zeroipc.Channel(mem, "tasks", dtype=np.int64)
            for i in range(int(sys.argv[2])):
                ch.send(i * 3, timeout=20.0)
            ch.close_channel()
        """, seg, n)
        got = list(ch)  # until closed and drained
        finish(child)
        assert got == [i * 3 for i in range(n)]
        with pytest.raises(zeroipc.ChannelClosed) as e:
            ch.send(1)
        assert "closed" in str(e.value) and str(e.value) == c_last_error()
        with pytest.raises(zeroipc.ChannelClosed):
            ch.receive(timeout=0.1)
        ch.close()


def test_channel_rendezvous_and_timeout(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        ch = zeroipc.Channel(mem, "rv", dtype=np.int64, capacity=0)
        assert ch.capacity == 0
        with pytest.raises(zeroipc.Timeout):
            ch.receive(timeout=0.05)
        with pytest.raises(zeroipc.Timeout):
            ch.send(1, timeout=0.05)  # no receiver
        assert ch.try_receive() is None
        child = run_child("""
            mem = zeroipc.Memory(sys.argv[1])
            ch = zeroipc.Channel(mem, "rv", dtype=np.int64)
            print(int(ch.receive(timeout=20.0)))
        """, seg)
        ch.send(42, timeout=20.0)  # returns once the child received it
        assert finish(child).strip() == "42"
        assert ch.close_channel() is True and ch.close_channel() is False and ch.is_closed
        with pytest.raises(zeroipc.ChannelClosed):
            ch.send(42)
        ch.close()


# ------------------------------------------------------------------ with the C++ library


ITEMS = 100_000


SHARED_VARIANTS = ["vyukov_bounded", "spsc_ring", "locked_ring"]  # every queue variant C (and so Python) runs


@needs_cpp
@pytest.mark.parametrize("variant", SHARED_VARIANTS)
def test_python_produces_cpp_consumes(seg, variant):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        q = zeroipc.Queue(mem, "py2cpp", dtype=np.uint64, capacity=1000, variant=variant)
        consumer = cpp("queue-consume", seg, "py2cpp", variant, 1000, ITEMS, 1)
        try:
            push = q.push
            deadline = time.monotonic() + 60
            for seq in range(ITEMS):
                item = 1 << 40 | seq
                while not push(item):
                    if consumer.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"queue full at item {seq}; consumer: {consumer.communicate()}")
                    time.sleep(0.0001)
            out = finish(consumer, timeout=60)
        finally:
            if consumer.poll() is None:
                consumer.kill()
                consumer.wait()
        assert out.strip() == f"consumed {ITEMS} items from 1 producers in order"
        q.close()


@needs_cpp
@pytest.mark.parametrize("variant", SHARED_VARIANTS)
def test_cpp_produces_python_consumes(seg, variant):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        q = zeroipc.Queue(mem, "cpp2py", dtype=np.uint64, capacity=1000, variant=variant)
        producer = cpp("queue-produce", seg, "cpp2py", variant, 1000, ITEMS, 7)
        try:
            pop = q.pop
            expected = 0
            deadline = time.monotonic() + 60
            while expected < ITEMS:
                item = pop()
                if item is None:
                    if time.monotonic() > deadline:
                        pytest.fail(f"received {expected} of {ITEMS}; producer: {producer.poll()}")
                    time.sleep(0.0001)
                    continue
                item = int(item)
                assert item >> 40 == 7, f"item {item:#x} from an unknown producer"
                assert item & ((1 << 40) - 1) == expected, f"got seq {item & ((1 << 40) - 1)}, expected {expected}"
                expected += 1
            out = finish(producer, timeout=60)
        finally:
            if producer.poll() is None:
                producer.kill()
                producer.wait()
        assert out.strip() == f"produced {ITEMS} items as producer 7"
        assert q.pop() is None  # no extra item
        q.close()


# interop_cpp's struct Mixed (56 bytes, every field at its C++ offset) and its mixed_value(i, seed).
MIXED = np.dtype({"names": ["tag", "i64", "u16", "f32", "text", "f64", "u32", "flag"],
                  "formats": ["u1", "<i8", "<u2", "<f4", "S16", "<f8", "<u4", "?"],
                  "offsets": [0, 8, 16, 20, 24, 40, 48, 52], "itemsize": 56})


def mixed_values(n, seed):
    i = np.arange(n, dtype=np.uint64)
    out = np.zeros(n, dtype=MIXED)
    out["tag"] = (i * 7 + seed) & 0xFF
    out["i64"] = -(i.astype(np.int64) * 1000003) - seed
    out["u16"] = (i * 31 + 5) & 0xFFFF
    out["f32"] = i.astype(np.float32) * np.float32(0.5) + np.float32(seed % 100)
    out["text"] = [f"e{k}-{seed % 1000}".encode() for k in range(n)]
    out["f64"] = i.astype(np.float64) * 0.125 + seed * 3.0
    out["u32"] = (i ^ np.uint64(seed * 2654435761 % (1 << 64))) & 0xFFFFFFFF
    out["flag"] = i % 3 == 0
    return out


@needs_cpp
def test_array_of_structured_records_both_ways(seg):
    n = 500
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        assert finish(cpp("array-write", seg, "from_cpp", n, 11)).strip() == f"wrote {n} elements of 56 bytes"
        from_cpp = zeroipc.Array(mem, "from_cpp", dtype=MIXED)
        assert from_cpp.tobytes() == mixed_values(n, 11).tobytes()  # every byte, padding included
        assert from_cpp[3]["text"] == b"e3-11" and from_cpp[3]["flag"]
        to_cpp = zeroipc.Array(mem, "to_cpp", dtype=MIXED, capacity=n)
        to_cpp[:] = mixed_values(n, 12)
        assert finish(cpp("array-check", seg, "to_cpp", n, 12)).strip() == f"checked {n} elements of 56 bytes"


@needs_cpp
def test_stack_both_ways_lifo(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        assert finish(cpp("stack-fill", seg, "from_cpp", 64, 50)).strip() == "pushed 50"
        s = zeroipc.Stack(mem, "from_cpp", dtype=np.uint64)
        assert [int(s.pop()) for _ in range(50)] == list(range(1049, 999, -1)) and s.pop() is None
        t = zeroipc.Stack(mem, "to_cpp", dtype=np.uint64, capacity=64)
        for k in range(40):
            assert t.push(1000 + k)
        assert finish(cpp("stack-drain", seg, "to_cpp", 40)).strip() == "popped 40 in LIFO order"


@needs_cpp
def test_future_both_ways(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        setter = cpp("future-set", seg, "from_cpp", 4242, 5000)  # sets once a reader sleeps on it
        assert setter.stdout.readline().strip() == "ready"
        f = zeroipc.Future(mem, "from_cpp", dtype=np.uint64)
        assert int(f.get(timeout=20)) == 4242  # asleep on the futex until C++ sets it
        assert finish(setter).startswith("set 4242 at ")
        g = zeroipc.Future(mem, "to_cpp", dtype=np.uint64, create=True)
        getter = cpp("future-get", seg, "to_cpp", 20000, 77)
        time.sleep(0.05)
        g.set(77)
        assert finish(getter).startswith("value 77 at ")


@needs_cpp
@pytest.mark.parametrize("capacity", [0, 8])
def test_channel_both_ways(seg, capacity):
    n = 2000
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        sender = cpp("channel-send", seg, "from_cpp", capacity, n, 1)
        ch = None
        deadline = time.monotonic() + 20
        while ch is None:
            try:
                ch = zeroipc.Channel(mem, "from_cpp", dtype=np.uint64)
            except zeroipc.NotFound:
                assert time.monotonic() < deadline, "C++ never created the channel"
                time.sleep(0.01)
        assert [int(v) for v in ch] == list(range(n))  # iteration ends when closed and drained
        assert finish(sender).strip() == f"sent {n}, then closed"
        out = zeroipc.Channel(mem, "to_cpp", dtype=np.uint64, capacity=capacity)
        receiver = cpp("channel-receive", seg, "to_cpp", capacity, n, 1)
        for v in range(n):
            out.send(v, timeout=20)
        assert out.close_channel()
        assert finish(receiver).strip() == f"received {n} in order, then closed"


COUNTER_ADDS = 100_000

GATE_GO = 1 << 63  # interop_c.c's counter-add start gate: element 1 counts arrivals, this bit opens it

PY_COUNTER_ADD = """
    import time
    mem = zeroipc.Memory(sys.argv[1])
    counter = zeroipc.Array(mem, "counter", dtype=np.uint64)
    word, gate = zeroipc.AtomicU64(counter, 0), zeroipc.AtomicU64(counter, 1)
    gate.fetch_add(1)  # arrived
    deadline = time.monotonic() + 50
    while not gate.load() >> 63:
        assert time.monotonic() < deadline, "the start gate did not open"
        time.sleep(0.00005)
    load, cas = word.load, word.compare_exchange
    n, retries = int(sys.argv[2]), 0
    for _ in range(n):
        old = load()
        while True:
            ok, old = cas(old, old + 1)  # on failure old is the current value: retry from it
            if ok:
                break
            retries += 1
    print(f"added {n} ({retries} retries)")
"""


@needs_cpp
def test_counter_cas_two_python_one_cpp_no_increment_lost(seg):
    """Two Python processes (AtomicU64.compare_exchange, through the C library) and one C++ process
    (std::atomic_ref<std::uint64_t>::compare_exchange_weak) each add 1 to one shared word 100,000
    times by a CAS loop: the total is exactly 300,000. Element 1 is the start gate: each process
    adds 1 to it when ready and waits; once all three are there the test sets its top bit and they
    go at once (else the C++ one is done before the Python ones have imported NumPy)."""
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        counter = zeroipc.Array(mem, "counter", dtype=np.uint64, capacity=2)
        gate = zeroipc.AtomicU64(counter, 1)
        procs = [run_child(PY_COUNTER_ADD, seg, COUNTER_ADDS), run_child(PY_COUNTER_ADD, seg, COUNTER_ADDS),
                 cpp("counter-add", seg, "counter", COUNTER_ADDS)]
        try:
            deadline = time.monotonic() + 60
            while gate.load() != len(procs):
                exited = [p.args for p in procs if p.poll() is not None]
                if exited or time.monotonic() > deadline:
                    pytest.fail(f"{gate.load()} of {len(procs)} at the start gate; exited: {exited}")
                time.sleep(0.001)
            assert int(counter[0]) == 0
            gate.fetch_add(GATE_GO)  # go
            outs = [finish(p, timeout=180) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for out in outs:
            assert out.startswith(f"added {COUNTER_ADDS} ("), out
        assert int(counter[0]) == 3 * COUNTER_ADDS
        assert zeroipc.AtomicU64(counter, 0).load() == 300_000


# ------------------------------------------------------------------ Table


@needs_cpp
def test_table_names_and_kinds_of_structures_made_in_two_languages(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        zeroipc.Array(mem, "temps", dtype=np.float32, capacity=100).close()
        zeroipc.Queue(mem, "orders", dtype=ORDER, capacity=64, variant="spsc_ring").close()
        zeroipc.Stack(mem, "work", dtype=np.int32, capacity=16).close()
        zeroipc.Future(mem, "answer", dtype=np.float64, create=True).close()
        zeroipc.Channel(mem, "tasks", dtype=np.int64, capacity=0).close()
        # A C++ process adds a queue of its own (producing 0 items into it).
        finish(cpp("queue-produce", seg, "from_cpp", "locked_ring", 32, 0, 1))
        table = mem.table
        assert table.names() == ["temps", "orders", "work", "answer", "tasks", "from_cpp"]
        assert table.kinds() == {"temps": "array", "orders": "queue", "work": "stack", "answer": "future",
                                 "tasks": "channel", "from_cpp": "queue"}
        orders = table["orders"]
        assert (orders.variant, orders.dtype, orders.element_size, orders.capacity) == \
            ("spsc_ring", "opaque", ORDER.itemsize, 64)
        temps = table["temps"]
        assert (temps.variant, temps.dtype, temps.element_size, temps.capacity) == ("", "f32", 4, 100)
        assert table["from_cpp"].variant == "locked_ring"
        assert table["from_cpp"].creator_pid != os.getpid() and temps.creator_pid == os.getpid()
        assert len(table) == 6 and "work" in table and "nope" not in table
        with pytest.raises(zeroipc.NotFound, match="no such structure"):
            table["nope"]
