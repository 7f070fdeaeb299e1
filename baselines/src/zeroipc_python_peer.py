"""The server of the zeroipc_python_<variant> transports (zeroipc_python_transport.cpp, beside
this file): a Python process on the lib/python zeroipc package that echoes (ping-pong) or sinks
(streaming) the frames a C client sends, so the harness measures the cost of Python in the same
run as the C++ and C servers.

Run by the harness's server worker, never by hand::

    python3 -u zeroipc_python_peer.py --segment /<name>-zeroipc-py --variant vyukov_bounded \\
        --frame-bytes 8 --echo 1 --slots 16384 --batch 4096 --wake-fd 5

It opens the segment and its queues "c2s" (and "s2c" when echoing) with the package's public API,
elements an opaque dtype of ``frame-bytes`` bytes (``np.dtype("V<n>")``, the C side's Frame<S>),
and loops: ``c2s.pop()`` until a frame comes (busy polling: no sleep, no system call), then
``s2c.push(frame)`` until it is taken (the echo), then one NumPy store of the frame into the ring
"py_log" for the harness's server worker, which checks every message. How many frames the log
holds is published in "py_ctl" every ``batch`` frames, or when no frame came for ``IDLE_POLLS``
polls (the client waits at a barrier), with one byte on ``wake-fd`` to wake the worker.
The memory-ordering pairs (1)-(6) are numbered in zeroipc_python_transport.cpp.

Before it is ready it stores the CPUs it may run on (the worker's PU, inherited) in py_ctl, for
the worker's settings. Test hook: $ZEROIPC_PYTHON_PEER_KILL_AFTER=<n> SIGKILLs it after n frames.

Exit status: 0 when the worker asks it to stop (kStop), 2 when numpy or zeroipc cannot be imported
(the message names the interpreter and what is missing), 1 on any other error (a traceback).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

#: py_ctl's words (zeroipc_python_transport.cpp's kPublished, kConsumed, kReady, kStop, kCpus).
PUBLISHED, CONSUMED, READY, STOP, CPUS = 0, 8, 16, 24, 17
#: Empty polls in a row after which what the log holds is published (a client at a barrier).
IDLE_POLLS = 256
#: Empty polls between two looks at STOP.
STOP_POLLS = 4096


def _imports():
    """numpy and zeroipc, or exit status 2 with what is missing (the worker reports this text)."""
    try:
        import numpy
    except ImportError as e:
        sys.stderr.write(f"zeroipc_python_peer: {sys.executable} cannot import numpy ({e}); "
                         "install python3-numpy or set ZEROIPC_PYTHON to an interpreter that has it\n")
        sys.exit(2)
    try:
        import zeroipc
    except ImportError as e:
        sys.stderr.write(f"zeroipc_python_peer: {sys.executable} cannot import zeroipc ({e}); "
                         f"PYTHONPATH={os.environ.get('PYTHONPATH', '')!r} "
                         f"ZEROIPC_C_LIBRARY={os.environ.get('ZEROIPC_C_LIBRARY', '')!r}\n")
        sys.exit(2)
    return numpy, zeroipc


def serve(segment: str, variant: str, frame_bytes: int, echo: bool, slots: int, batch: int, wake_fd: int) -> None:
    """Echoes or sinks frames until the worker sets STOP."""
    np, zeroipc = _imports()
    frame = np.dtype(f"V{frame_bytes}")
    mem = zeroipc.Memory(segment)
    c2s = zeroipc.Queue(mem, "c2s", dtype=frame)
    if c2s.variant != variant:
        raise RuntimeError(f"queue c2s is {c2s.variant}, expected {variant}")
    s2c = zeroipc.Queue(mem, "s2c", dtype=frame) if echo else None
    log = zeroipc.Array(mem, "py_log", dtype=frame)
    if len(log) != slots:
        raise RuntimeError(f"py_log has {len(log)} slots, expected {slots}")
    ctl = zeroipc.Array(mem, "py_ctl", dtype=np.uint64)
    published_word, consumed_word = zeroipc.AtomicU64(ctl, PUBLISHED), zeroipc.AtomicU64(ctl, CONSUMED)
    stop_word = zeroipc.AtomicU64(ctl, STOP)
    os.set_blocking(wake_fd, False)

    def publish(n: int) -> None:
        published_word.store(n)  # (1)
        try:
            os.write(wake_fd, b"\0")
        except BlockingIOError:  # the pipe is full: the worker has bytes to wake it already
            pass

    pop = c2s.pop
    push = s2c.push if s2c is not None else None
    taken = published = 0
    room = slots  # frames the log may hold before the worker takes some: up to consumed + slots
    idle = 0
    kill_after = int(os.environ.get("ZEROIPC_PYTHON_PEER_KILL_AFTER", "0"))  # test hook: die as a crash would
    zeroipc.AtomicU64(ctl, CPUS).store(sum(1 << c for c in os.sched_getaffinity(0) if c < 64))
    zeroipc.AtomicU64(ctl, READY).store(os.getpid())  # (5)
    while True:
        m = pop()
        if m is None:
            idle += 1
            if idle == IDLE_POLLS and published != taken:
                publish(taken)
                published = taken
            if idle % STOP_POLLS == 0 and stop_word.load():  # (6)
                return
            continue
        idle = 0
        if push is not None:
            while not push(m):
                pass
        while taken == room:  # the log is full: let the worker take some
            if published != taken:
                publish(taken)
                published = taken
            room = consumed_word.load() + slots  # (4)
            if taken == room and stop_word.load():
                return
        log[taken % slots] = m
        taken += 1
        if taken == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if taken - published >= batch:
            publish(taken)
            published = taken


def main(argv: "list[str] | None" = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--segment", required=True)
    p.add_argument("--variant", required=True)
    p.add_argument("--frame-bytes", type=int, required=True)
    p.add_argument("--echo", type=int, choices=(0, 1), required=True)
    p.add_argument("--slots", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--wake-fd", type=int, required=True)
    a = p.parse_args(argv)
    serve(a.segment, a.variant, a.frame_bytes, bool(a.echo), a.slots, max(1, a.batch), a.wake_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
