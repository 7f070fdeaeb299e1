"""zeroipc.Stream (lib/python/zeroipc/stream.py over the C Stream, lib/c/src/stream.c), alone and
with the C++ Stream (interop_cpp stream-emit / stream-read) on the same segment.

In Python: create/open, capacity rounding, order, timeout vs end (``next`` returns None for both;
``ended`` tells them apart, as the C++ Cursor), StreamClosed after the end, the open checks
(element size, overflow), drop_oldest's ``missed``, block's refusal to run past a live laggard.
Across languages, with a record of 24 bytes (a structured dtype): C++ emits 10k records through a
ring of 64 and Python reads every one in order; Python emits and C++ reads; a C++ reader and a
Python reader of one drop_oldest stream report the same ``missed``; the end is seen across
languages, closed or with the producer gone (a process that exits without closing), and the
dead producer's stream is fed again from Python.

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it), the C++ program from
$ZEROIPC_INTEROP_CPP. Segment names hold this process's pid; every segment is unlinked at the end.
"""

import os

import numpy as np
import pytest

from zeroipc_testkit import CPP_SEGMENT_SIZE, cpp, finish, run_child, segment_fixture

import zeroipc  # lib/python's: zeroipc_testkit put it first on sys.path

# interop_cpp's StreamRecord: every field derived from seq.
REC = np.dtype([("seq", "<u8"), ("value", "<f8"), ("tag", "<i4"), ("flags", "<u4")])
seg = segment_fixture("pystream")


def record(seq: int) -> tuple:
    return (seq, seq * 0.5, -(seq % 1000), (seq ^ 0xA5A5) & 0xFFFFFFFF)


def records(first: int, count: int) -> np.ndarray:
    seq = np.arange(first, first + count, dtype=np.uint64)
    out = np.empty(count, dtype=REC)
    out["seq"] = seq
    out["value"] = seq * 0.5
    out["tag"] = -(seq % 1000).astype(np.int64)
    out["flags"] = (seq ^ 0xA5A5) & 0xFFFFFFFF
    return out


def first_line(proc) -> str:
    """The child's first stdout line (it must print one)."""
    line = proc.stdout.readline()
    if not line:
        out, err = proc.communicate(timeout=30)
        pytest.fail(f"child printed nothing; exit {proc.returncode}; stderr: {err!r}")
    return line.strip()


def read_all(cur: "zeroipc.Cursor") -> np.ndarray:
    """Every item until the end of the stream, as one array of REC."""
    return np.array(list(cur), dtype=REC)


# ------------------------------------------------------------------ Python alone


def test_stream_in_python(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        s = zeroipc.Stream(mem, "ticks", dtype=np.uint64, capacity=1000)
        assert s.created and s.capacity == 1024 and s.overflow == "block"
        assert s.producer == os.getpid() and s.end_reason == "open"
        s.emit(99)  # before any subscriber: nobody sees it
        with s.subscribe() as a, s.subscribe() as b:
            assert s.subscribers == 2
            assert a.next(timeout=0) is None and not a.ended
            for i in range(100):
                s.emit(i)
            assert s.published == 101
            assert [int(a.next(0)) for _ in range(100)] == list(range(100))
            assert a.next(timeout=0.01) is None and not a.ended
            assert s.close_stream() and not s.close_stream()
            assert list(a) == [] and a.ended and a.end_reason == "closed"
            assert [int(x) for x in b] == list(range(100))
            assert b.ended and b.missed == 0
            with pytest.raises(zeroipc.StreamClosed) as e:
                s.emit(1)
            assert str(e.value) == f"zeroipc: segment '{seg}', stream 'ticks': cannot emit: the stream has ended (closed)"
        assert s.subscribers == 0 and s.ended and s.end_reason == "closed"
        opened = zeroipc.Stream(mem, "ticks", dtype=np.uint64)
        assert not opened.created and opened.capacity == 1024
        with pytest.raises(zeroipc.MismatchError, match="expected element size 4 bytes, found 8"):
            zeroipc.Stream(mem, "ticks", dtype=np.uint32)
        with pytest.raises(zeroipc.MismatchError, match="exists with overflow block, requested drop_oldest"):
            zeroipc.Stream(mem, "ticks", dtype=np.uint64, capacity=1024, overflow="drop_oldest")
        with pytest.raises(zeroipc.InvalidArgument, match=r"capacity 0 is not in 1..2\^30"):
            zeroipc.Stream(mem, "none", dtype=np.uint64, capacity=0)
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Stream(mem, "absent", dtype=np.uint64)
        opened.close()
        s.close()


def test_overflow_policies_in_python(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        lossy = zeroipc.Stream(mem, "lossy", dtype=REC, capacity=8, overflow="drop_oldest")
        with lossy.subscribe() as cur:
            for i in range(100):
                lossy.emit(record(i), timeout=0)  # never waits
            got = np.array([cur.next(0) for _ in range(8)], dtype=REC)
            assert np.array_equal(got, records(92, 8))
            assert cur.missed == 92 and cur.next(0) is None
        strict = zeroipc.Stream(mem, "strict", dtype=REC, capacity=4)
        with strict.subscribe() as cur:
            for i in range(4):
                assert strict.try_emit(record(i))
            assert not strict.try_emit(record(4))
            with pytest.raises(zeroipc.Timeout):
                strict.emit(record(4), timeout=0.02)  # a live laggard holds it back
            assert cur.next(0)["seq"] == 0
            strict.emit(record(4), timeout=0)
        lossy.close()
        strict.close()


# ------------------------------------------------------------------ with C++


def test_cpp_emits_python_reads_every_record(seg):
    """C++ creates and emits 10k records through a ring of 64; Python reads each, in order."""
    count = 10000
    proc = cpp("stream-emit", seg, "s", 64, "block", count, 1, 1)
    try:
        cpp_pid = int(first_line(proc).split()[1])  # "created <pid>"
        with zeroipc.Memory(seg) as mem:
            s = zeroipc.Stream(mem, "s", dtype=REC)
            assert s.producer == cpp_pid and s.capacity == 64 and s.overflow == "block"
            with s.subscribe() as cur:
                with pytest.raises(zeroipc.RoleTaken) as e:  # one process feeds a stream
                    s.emit(record(0))
                assert str(e.value) == (f"zeroipc: segment '{seg}', stream 's': cannot emit from this process: its "
                                        f"producer is process {cpp_pid}, and it is alive (one process feeds a stream)")
                got = read_all(cur)
                assert cur.ended and cur.end_reason == "closed" and cur.missed == 0
            s.close()
        assert len(got) == count
        assert np.array_equal(got, records(0, count))
        assert finish(proc, timeout=60).strip() == f"emitted {count}, then closed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_python_emits_cpp_reads_every_record(seg):
    count = 10000
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        s = zeroipc.Stream(mem, "s", dtype=REC, capacity=64)
        proc = cpp("stream-read", seg, "s", count, 0, 0)
        try:
            assert first_line(proc) == "subscribed"
            assert s.wait_for_subscribers(1, timeout=30)
            for item in records(0, count):
                s.emit(item, timeout=30)
            assert s.close_stream()
            assert finish(proc, timeout=60).strip() == f"read {count} from 0, missed 0, end closed"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        s.close()


def test_drop_oldest_missed_same_in_both_languages(seg):
    """A Python cursor and a C++ cursor, neither reading while 100 records go through a ring of 8:
    both then read records 92..99 and report 92 missed."""
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        s = zeroipc.Stream(mem, "lossy", dtype=REC, capacity=8, overflow="drop_oldest")
        with s.subscribe() as cur:
            proc = cpp("stream-read", seg, "lossy", 8, 92, 1)  # reads once the stream has ended
            try:
                assert first_line(proc) == "subscribed"
                assert s.wait_for_subscribers(2, timeout=30)
                for i in range(100):
                    s.emit(record(i), timeout=0)
                assert s.close_stream()
                got = read_all(cur)
                assert np.array_equal(got, records(92, 8))
                assert cur.missed == 92 and cur.end_reason == "closed"
                assert finish(proc, timeout=60).strip() == "read 8 from 92, missed 92, end closed"
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
        s.close()


def test_cpp_producer_gone_seen_in_python_then_fed_again(seg):
    """A C++ producer exits without closing: Python drains, sees producer_gone, then feeds the stream."""
    proc = cpp("stream-emit", seg, "g", 16, "block", 5, 1, 0)
    try:
        first_line(proc)
        with zeroipc.Memory(seg) as mem:
            s = zeroipc.Stream(mem, "g", dtype=REC)
            with s.subscribe() as cur:
                got = read_all(cur)  # the end comes within ~20 ms of the producer's exit
                assert np.array_equal(got, records(0, 5))
                assert cur.ended and cur.end_reason == "producer_gone"
            assert finish(proc, timeout=60).strip() == "emitted 5"
            assert s.end_reason == "producer_gone"
            s.emit(record(5))  # the producer is dead: fed again from here, positions go on
            assert s.producer == os.getpid() and not s.ended and s.published == 6
            s.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_python_producer_gone_seen_in_cpp(seg):
    """A Python producer exits without closing: the C++ reader drains, then sees producer_gone."""
    child = run_child("""
        mem = zeroipc.Memory(sys.argv[1], int(sys.argv[2]))
        s = zeroipc.Stream(mem, "g", dtype=np.dtype([("seq", "<u8"), ("value", "<f8"), ("tag", "<i4"),
                                                      ("flags", "<u4")]), capacity=16)
        print("created", flush=True)
        assert s.wait_for_subscribers(1, timeout=30)
        for i in range(5):
            s.emit((i, i * 0.5, -(i % 1000), i ^ 0xA5A5))
        print("emitted", flush=True)
    """, seg, CPP_SEGMENT_SIZE)
    proc = None
    try:
        assert first_line(child) == "created"
        proc = cpp("stream-read", seg, "g", 5, 0, 0)
        assert first_line(proc) == "subscribed"
        assert finish(child, timeout=60).strip() == "emitted"
        assert finish(proc, timeout=60).strip() == "read 5 from 0, missed 0, end producer_gone"
    finally:
        for p in (child, proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
