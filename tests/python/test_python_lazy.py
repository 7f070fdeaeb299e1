"""Lazy (§7.4, kind 9) in the Python package (zeroipc.Lazy over the C library's zeroipc_lazy_*),
alone and across languages with the C++ zeroipc::Lazy (tests/interop/interop_cpp lazy-*):

- one process: computed once and cached, a stored error (LazyError with the C++ text) and
  invalidate() for a retry, a reader without a computation timing out, a recursive computation,
  MismatchError / NotFound;
- C++ computes, Python reads: a Python get() without a computation demands the value and the C++
  provider thread computes it; and the reverse: Python computes (by get(), and as a provider in
  serve() answering a C++ reader's demand), C++ reads;
- exactly once across two Python processes and one C++ process racing on one empty Lazy: each
  computation adds 1 to a shared Array<u64> counter (zeroipc.AtomicU64 / std::atomic_ref);
- a Python process SIGKILLed while it holds the computing claim: a C++ reader (and a Python one)
  without a computation get LazyError "the computing process <pid> died ..." after their
  timeout; a C++ process with the computation takes the claim over and the value appears.

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it); the C++ program from
$ZEROIPC_INTEROP_CPP. Segment names hold this process's pid and are unlinked at the end.
"""

import os
import re
import signal
import time

import numpy as np
import pytest

from zeroipc_testkit import CPP_SEGMENT_SIZE, cpp, finish, needs_cpp, run_child, segment_fixture

import zeroipc  # lib/python's: zeroipc_testkit put it first on sys.path

GATE_GO = 1 << 63
seg = segment_fixture("pylazy")
pytestmark = needs_cpp  # every test here, the one-process ones too, is skipped without interop_cpp


def where(seg, name):
    return f"zeroipc: segment '{seg}', lazy '{name}'"


def first_line(proc, timeout=20):
    """The child's first stdout line (it must come within `timeout`)."""
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"child said nothing (exit {proc.returncode}); stderr: {err!r}")
    assert time.monotonic() < deadline
    return line.strip()


# ------------------------------------------------------------------ one process


def test_computed_once_and_cached(seg):
    runs = []

    def compute():
        runs.append(1)
        return 2.5

    with zeroipc.Memory(seg, 1 << 20) as mem:
        lz = zeroipc.Lazy(mem, "h", dtype=np.float64, compute=compute, create=True)
        reader = zeroipc.Lazy(mem, "h", dtype=np.float64)
        assert not lz.is_ready() and lz.generation == 0 and lz.computing_process == 0
        assert lz.get() == 2.5 and lz.get() == 2.5 and lz.force() == 2.5
        assert len(runs) == 1
        assert reader.is_ready() and reader.get(timeout=0) == 2.5
        assert reader.invalidate() is True and reader.invalidate() is False
        assert lz.generation == 1 and not lz.is_ready()
        assert lz.get() == 2.5 and len(runs) == 2
        with pytest.raises(zeroipc.MismatchError):
            zeroipc.Lazy(mem, "h", dtype=np.float32)
        with pytest.raises(zeroipc.MismatchError):
            zeroipc.Future(mem, "h", dtype=np.float64)
        with pytest.raises(zeroipc.NotFound):
            zeroipc.Lazy(mem, "missing", dtype=np.float64)
        lz.close()
        reader.close()


def test_error_stored_until_invalidate(seg):
    def compute():
        raise ValueError("the matrix is singular")

    with zeroipc.Memory(seg, 1 << 20) as mem:
        lz = zeroipc.Lazy(mem, "inv", dtype=np.uint64, compute=compute, create=True)
        expected = f"{where(seg, 'inv')}: the computation failed in process {os.getpid()}: the matrix is singular"
        with pytest.raises(zeroipc.LazyError) as e:
            lz.get()
        assert e.value.reason == "computation_failed" and str(e.value) == expected
        assert isinstance(e.value.__cause__, ValueError)
        reader = zeroipc.Lazy(mem, "inv", dtype=np.uint64)
        with pytest.raises(zeroipc.LazyError) as e:
            reader.get(timeout=0)
        assert str(e.value) == expected and reader.has_error()
        assert reader.invalidate()
        lz.compute = lambda: 7
        assert lz.get() == 7 and reader.get() == 7


def test_reader_without_computation_times_out(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        reader = zeroipc.Lazy(mem, "nobody", dtype=np.int32, create=True, timeout=0.05)
        with pytest.raises(zeroipc.LazyError) as e:
            reader.get()
        assert e.value.reason == "no_computation"
        assert re.fullmatch(re.escape(where(seg, "nobody")) + r": no process computed it within \d+ ms, and this "
                            r"process has no computation \(pass one to the constructor or set_computation\(\)\)",
                            str(e.value)), str(e.value)


def test_recursive_computation(seg):
    with zeroipc.Memory(seg, 1 << 20) as mem:
        lz = zeroipc.Lazy(mem, "self", dtype=np.uint64, create=True)
        lz.compute = lambda: lz.get() + 1
        with pytest.raises(zeroipc.LazyError) as e:
            lz.get()
        assert e.value.reason == "computation_failed"
        assert e.value.__cause__.reason == "recursive"
        assert "its computation asked for its own value (it would wait for itself)" in str(e.value)


# ------------------------------------------------------------------ across languages


def test_cpp_computes_python_reads(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        reader = zeroipc.Lazy(mem, "pi", dtype=np.uint64, create=True, timeout=20)
        provider = cpp("lazy-provide", seg, "pi", 314159, 20)
        try:
            assert first_line(provider) == "providing"
            assert reader.get() == 314159  # demanded: the C++ provider thread computes it
        finally:
            out = finish(provider)
        assert out.strip() == "served 314159 ran 1"


def test_python_computes_cpp_reads(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        lz = zeroipc.Lazy(mem, "e", dtype=np.uint64, compute=lambda: 271828, create=True)
        assert lz.get() == 271828
        assert finish(cpp("lazy-get", seg, "e", 5000, 271828)).strip() == "value 271828"
        # A failure stored by Python reads as the same LazyError in C++.
        bad = zeroipc.Lazy(mem, "bad", dtype=np.uint64, compute=lambda: 1 // 0, create=True)
        with pytest.raises(zeroipc.LazyError) as e:
            bad.get()
        out = finish(cpp("lazy-get", seg, "bad", 5000, "failed")).strip()
        assert out == f"lazy-error failed: {e.value}"


def test_python_provider_serves_cpp_demand(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        lz = zeroipc.Lazy(mem, "served", dtype=np.uint64, compute=lambda: 777, create=True)
        reader = cpp("lazy-get", seg, "served", 20000, 777)  # no computation: it demands the value
        try:
            ran = 0
            deadline = time.monotonic() + 20
            while not lz.is_ready() and time.monotonic() < deadline:
                ran += lz.serve(timeout=0.05)
        finally:
            out = finish(reader)
        assert out.strip() == "value 777"
        assert ran == 1


def test_exactly_once_two_python_one_cpp(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        runs = zeroipc.Array(mem, "runs", dtype=np.uint64, capacity=2)  # [0] computations, [1] start gate
        count, gate = zeroipc.AtomicU64(runs, 0), zeroipc.AtomicU64(runs, 1)
        code = """
            import time
            seg = sys.argv[1]
            mem = zeroipc.Memory(seg)
            runs = zeroipc.Array(mem, "runs", dtype=np.uint64)
            count, gate = zeroipc.AtomicU64(runs, 0), zeroipc.AtomicU64(runs, 1)
            ran = 0
            def compute():
                global ran
                ran += 1
                count.fetch_add(1)
                time.sleep(0.2)  # the others arrive while it computes
                return 4242
            gate.fetch_add(1)
            deadline = time.monotonic() + 30
            while not gate.load() & (1 << 63):
                assert time.monotonic() < deadline, "the start gate did not open"
                time.sleep(0.0001)
            lz = zeroipc.Lazy(mem, "once", dtype=np.uint64, compute=compute, create=True)
            print(f"value {lz.get()} ran {ran}", flush=True)
        """
        procs = [run_child(code, seg), run_child(code, seg), cpp("lazy-compute", seg, "once", 4242, "runs", 200)]
        try:
            deadline = time.monotonic() + 30
            while gate.load() < 3:
                assert time.monotonic() < deadline, "the participants did not reach the start gate"
                assert all(p.poll() is None for p in procs), "a participant exited early"
                time.sleep(0.001)
            gate.fetch_add(GATE_GO)
        finally:
            outs = [finish(p) for p in procs]
        ran = 0
        for out in outs:
            m = re.fullmatch(r"value 4242 ran (\d)", out.strip())
            assert m, out
            ran += int(m.group(1))
        assert ran == 1
        assert count.load() == 1


def test_python_killed_while_computing_recovered_by_cpp(seg):
    with zeroipc.Memory(seg, CPP_SEGMENT_SIZE) as mem:
        runs = zeroipc.Array(mem, "runs", dtype=np.uint64, capacity=1)
        count = zeroipc.AtomicU64(runs, 0)
        code = """
            import os, time
            mem = zeroipc.Memory(sys.argv[1])
            count = zeroipc.AtomicU64(zeroipc.Array(mem, "runs", dtype=np.uint64), 0)
            def compute():
                count.fetch_add(1)
                print(f"computing {os.getpid()}", flush=True)
                time.sleep(60)  # SIGKILLed here, holding the claim
                return 1
            zeroipc.Lazy(mem, "answer", dtype=np.uint64, compute=compute, create=True).get()
        """
        victim = run_child(code, seg)
        try:
            line = first_line(victim)
            assert line == f"computing {victim.pid}"
            lz = zeroipc.Lazy(mem, "answer", dtype=np.uint64, timeout=0.2)
            assert lz.computing_process == victim.pid
            with pytest.raises(zeroipc.Timeout):
                lz.get(timeout=0.05)  # a live process computes it
            with pytest.raises(zeroipc.LazyError) as e:
                lz.invalidate()
            assert e.value.reason == "busy"
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.communicate()
        dead = f"{where(seg, 'answer')}: the computing process {victim.pid} died and no waiting process has " \
               f"the computation (none took over within "
        # A C++ reader without the computation: LazyError after its timeout (300 ms).
        out = finish(cpp("lazy-get", seg, "answer", 300, "owner-died")).strip()
        assert out.startswith("lazy-error owner-died: " + dead), out
        assert out.endswith(" ms; give one a computation, or invalidate())"), out
        # The same from Python.
        with pytest.raises(zeroipc.LazyError) as e:
            lz.get()
        assert e.value.reason == "owner_died" and str(e.value).startswith(dead)
        # A C++ process with the computation takes the claim over; the value appears for everyone.
        assert finish(cpp("lazy-compute", seg, "answer", 42, "runs", 0)).strip() == "value 42 ran 1"
        assert lz.get() == 42 and lz.is_ready()
        assert count.load() == 2  # the killed run and the one that completed
