"""The C implementation (lib/c) and the C++ one on the same segments, in separate processes.

Two programs with the same subcommands, one per language (tests/interop/interop_c.c through
zeroipc.h, tests/interop/interop_cpp.cpp through the public C++ API; their top comments list
the subcommands), run here as separate processes on one segment:

- queues of every variant both libraries run (vyukov_bounded, spsc_ring, locked_ring):
  1,000,000 items from C to C++ and from C++ to C, and a C and a C++ producer together into
  one consumer (the MPMC variants): no loss, no duplicate, each producer's order kept;
- an Array of a struct with mixed fields and padding, written in one language, read in the other;
- a Future set in one language while a reader of the other is asleep in get() (the futex wake
  crosses languages), and a producer SIGKILLed before setting (the reader gets "producer died");
- Channels: 100k values buffered each way, then closed and drained; rendezvous (a send
  returns only once the other side received); a close by one side seen by the other;
- a process SIGKILLed holding the table lock (C++: at each step of a creation, through the
  crash points of zeroipc/detail/crash_points.h; C: the lock itself), recovered by the other
  language, which then creates structures in bounded time with nothing lost or leaked.

The programs come from $ZEROIPC_INTEROP_C / $ZEROIPC_INTEROP_CPP (ctest sets them), else the
Release build's. Segment names hold this process's pid; every segment is unlinked at the end
of its test, failed or not (/dev/shm is shared with the rest of the suite, ctest -j2).
"""

import os
import re
import select
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

PROGRAMS = {
    "c": Path(os.environ.get("ZEROIPC_INTEROP_C", ROOT / "build" / "tests" / "interop" / "interop_c")),
    "cpp": Path(os.environ.get("ZEROIPC_INTEROP_CPP", ROOT / "build" / "tests" / "interop" / "interop_cpp")),
}
OTHER = {"c": "cpp", "cpp": "c"}
NAMES = {"c": "C", "cpp": "C++"}
SHM = Path("/dev/shm")
STEP_TIMEOUT = 120  # seconds for one program; their own waits are bounded by 30-50 s
ITEMS = 1_000_000
DIRECTIONS = [("c", "cpp"), ("cpp", "c")]  # (writer / producer / sender, reader / consumer / receiver)


def direction_id(pair):
    return f"{NAMES[pair[0]]}_to_{NAMES[pair[1]]}".replace("+", "p")


def align64(x):
    return (x + 63) & ~63


class Proc:
    """One program running in the background; its stdout read line by line with deadlines."""

    def __init__(self, lang, args):
        self.lang = lang
        self.args = [str(a) for a in args]
        self.desc = f"interop_{lang} {' '.join(self.args)}"
        self.popen = subprocess.Popen([str(PROGRAMS[lang]), *self.args], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""  # stdout read so far
        self._consumed = 0  # of which expect_line has returned this much

    def expect_line(self, prefix, timeout=20):
        """The next line of stdout, which must start with `prefix`, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        fd = self.popen.stdout.fileno()
        consumed = self._consumed
        while b"\n" not in self.out[consumed:]:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no line starting '{prefix}' within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.popen.wait(timeout=STEP_TIMEOUT)
                    self.fail(f"exited before printing a line starting '{prefix}'")
                self.out += chunk
        end = self.out.index(b"\n", consumed)
        line = self.out[consumed:end].decode()
        self._consumed = end + 1
        assert line.startswith(prefix), f"{self.desc}: expected a line starting '{prefix}', got '{line}'"
        return line

    def fail(self, what):
        if self.popen.poll() is None:
            self.popen.kill()
        out, err = self.popen.communicate(timeout=STEP_TIMEOUT)
        pytest.fail(f"{self.desc}: {what} (exit {self.popen.returncode})\n"
                    f"stdout: {(self.out + out).decode(errors='replace')}\nstderr: {err.decode(errors='replace')}")

    def finish(self, timeout=STEP_TIMEOUT):
        """Waits for the exit; it must be 0. Returns the last line of stdout."""
        try:
            out, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"still running after {timeout} s")
        self.out += out
        text = self.out.decode(errors="replace")
        assert self.popen.returncode == 0, (
            f"{self.desc} exited {self.popen.returncode}\nstdout: {text}\nstderr: {err.decode(errors='replace')}")
        lines = text.strip().splitlines()
        assert lines, f"{self.desc} printed nothing"
        return lines[-1]

    def kill(self):
        """SIGKILL; reaps it and checks that it died of that signal (not earlier of something else)."""
        self.popen.kill()
        out, err = self.popen.communicate(timeout=STEP_TIMEOUT)
        assert self.popen.returncode == -signal.SIGKILL, (
            f"{self.desc} was meant to be running until killed, but exited {self.popen.returncode}\n"
            f"stdout: {(self.out + out).decode(errors='replace')}\nstderr: {err.decode(errors='replace')}")


class Segment:
    """A segment name of this test, the programs run on it, and the cleanup of both."""

    def __init__(self, name):
        self.name = name
        self.procs = []

    def start(self, lang, command, *args):
        p = Proc(lang, [command, self.name, *args])
        self.procs.append(p)
        return p

    def run(self, lang, command, *args, timeout=STEP_TIMEOUT):
        """Runs a program to its end (exit 0 required); returns its last line."""
        return self.start(lang, command, *args).finish(timeout)

    def header(self):
        """(table_lock, alloc_cursor) of the segment header (SPECIFICATION.md §2: offsets 64 and 72)."""
        with open(SHM / self.name.lstrip("/"), "rb") as f:
            raw = f.read(128)
        return struct.unpack_from("<I", raw, 64)[0], struct.unpack_from("<Q", raw, 72)[0]

    def cleanup(self):
        for p in self.procs:
            if p.popen.poll() is None:
                p.popen.kill()
            p.popen.communicate()
        (SHM / self.name.lstrip("/")).unlink(missing_ok=True)


_count = [0]


@pytest.fixture
def seg():
    for lang, path in PROGRAMS.items():
        assert path.is_file(), f"interop_{lang} not found at {path} (build it, or set ZEROIPC_INTEROP_{lang.upper()})"
    _count[0] += 1
    s = Segment(f"/zipc_interop_{os.getpid()}_{_count[0]}")
    (SHM / s.name.lstrip("/")).unlink(missing_ok=True)
    try:
        yield s
    finally:
        s.cleanup()


def number_after(line, word):
    """The number that follows `word` in a result line."""
    parts = line.split()
    assert word in parts, f"no '{word}' in '{line}'"
    return float(parts[parts.index(word) + 1])


# ------------------------------------------------------------------ queues

VARIANTS = ["vyukov_bounded", "spsc_ring", "locked_ring"]
CAPACITY = 1000  # not a power of two: each side counts the capacity against a ring of 1024


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_queue_one_producer(seg, variant, pair):
    producer, consumer = pair
    c = seg.start(consumer, "queue-consume", "q", variant, CAPACITY, ITEMS, "7")
    p = seg.start(producer, "queue-produce", "q", variant, CAPACITY, ITEMS, 7)
    assert p.finish() == f"produced {ITEMS} items as producer 7"
    assert c.finish() == f"consumed {ITEMS} items from 1 producers in order", \
        f"{variant}: the {NAMES[consumer]} consumer did not get the {NAMES[producer]} producer's items"


@pytest.mark.parametrize("variant", ["vyukov_bounded", "locked_ring"])
@pytest.mark.parametrize("consumer", ["c", "cpp"], ids=lambda lang: f"{NAMES[lang]}_consumer".replace("+", "p"))
def test_queue_c_and_cpp_producers_together(seg, variant, consumer):
    half = ITEMS // 2
    c = seg.start(consumer, "queue-consume", "q", variant, CAPACITY, half, "1,2")
    p_c = seg.start("c", "queue-produce", "q", variant, CAPACITY, half, 1)
    p_cpp = seg.start("cpp", "queue-produce", "q", variant, CAPACITY, half, 2)
    assert p_c.finish() == f"produced {half} items as producer 1"
    assert p_cpp.finish() == f"produced {half} items as producer 2"
    assert c.finish() == f"consumed {ITEMS} items from 2 producers in order", \
        f"{variant}: the {NAMES[consumer]} consumer of a C and a C++ producer"


# ------------------------------------------------------------------ Array of structs


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_array_of_structs(seg, pair):
    writer, reader = pair
    assert seg.run(writer, "array-write", "mixed", 1000, 17) == "wrote 1000 elements of 56 bytes"
    assert seg.run(reader, "array-check", "mixed", 1000, 17) == "checked 1000 elements of 56 bytes", \
        f"the {NAMES[reader]} reader of the {NAMES[writer]} writer's structs"
    # the reader really compares: another seed must fail
    r = seg.start(reader, "array-check", "mixed", 1000, 18)
    r.popen.wait(timeout=STEP_TIMEOUT)
    assert r.popen.returncode == 1, f"array-check with the wrong seed exited {r.popen.returncode}, expected 1"


# ------------------------------------------------------------------ Future


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_future_set_wakes_a_blocked_reader(seg, pair):
    setter, reader = pair
    s = seg.start(setter, "future-set", "f", 4242, 10000)
    s.expect_line("ready")
    # the setter sets only once the reader sleeps in get() (the Future's sleeper count), + 50 ms
    r = seg.start(reader, "future-get", "f", 20000, 4242)
    set_line = s.finish()
    get_line = r.finish()
    t_set = number_after(set_line, "at")
    t_got = number_after(get_line, "at")
    waited_ms = number_after(get_line, "after")
    assert waited_ms >= 40, f"the {NAMES[reader]} reader was not blocked before the set: {get_line}"
    assert 0 <= t_got - t_set < 1e9, (
        f"the {NAMES[reader]} reader returned {(t_got - t_set) / 1e6:.1f} ms after the {NAMES[setter]} set "
        f"(bound 1000 ms): {set_line} / {get_line}")


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_future_producer_killed(seg, pair):
    producer, reader = pair
    h = seg.start(producer, "future-hold", "f", 10000)
    h.expect_line("ready")
    r = seg.start(reader, "future-get", "f", 20000, "producer-died")
    h.expect_line("reader-waiting")
    killed = time.monotonic()
    h.kill()
    line = r.finish()
    noticed = time.monotonic() - killed
    assert line.startswith("producer-died") and "died before setting a value" in line, line
    assert noticed < 5, f"the {NAMES[reader]} reader took {noticed:.1f} s to see the {NAMES[producer]} producer's death"


# ------------------------------------------------------------------ Channel


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_channel_buffered_in_order_then_closed(seg, pair):
    sender, receiver = pair
    r = seg.start(receiver, "channel-receive", "ch", 64, 100_000, 1)
    s = seg.start(sender, "channel-send", "ch", 64, 100_000, 1)
    assert s.finish() == "sent 100000, then closed"
    assert r.finish() == "received 100000 in order, then closed", \
        f"the {NAMES[receiver]} receiver of the {NAMES[sender]} sender"


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_channel_rendezvous_send_completes_when_received(seg, pair):
    sender, receiver = pair
    # The sender first offers a value with a 100 ms timeout and no receiver: it must be
    # withdrawn (not sent); then it sends 0..199, each returning only once taken.
    s = seg.start(sender, "channel-rv-send", "rv", 200)
    t_sending = number_after(s.expect_line("sending"), "at")
    time.sleep(0.3)
    r_line = seg.run(receiver, "channel-rv-receive", "rv", 200)
    s_line = s.finish()
    t_started = number_after(r_line, "started")
    t_first = number_after(s_line, "first-returned")
    assert t_first >= t_started, (
        f"the {NAMES[sender]} send returned before the {NAMES[receiver]} receiver started: {s_line} / {r_line}")
    assert t_first - t_sending >= 0.25e9, f"the first send did not wait for a receiver: {s_line}"


@pytest.mark.parametrize("pair", DIRECTIONS, ids=direction_id)
def test_channel_close_seen_by_the_other_side(seg, pair):
    sender, closer = pair
    s = seg.start(sender, "channel-send-until-closed", "ch", 4)
    s.expect_line("full")
    time.sleep(0.2)  # the sender is asleep in send(), waiting for room
    assert seg.run(closer, "channel-close", "ch") == "closed"
    assert s.finish() == "closed after 4 sent", f"the blocked {NAMES[sender]} sender did not see the close"
    # the closer's side drains the 4 values, then sees the channel closed; so does the sender's
    assert seg.run(closer, "channel-receive", "ch", 4, 4, 1) == "received 4 in order, then closed"
    assert seg.run(sender, "channel-receive", "ch", 4, 0, 1) == "received 0 in order, then closed"


# ------------------------------------------------------------------ the table lock

HOLDS = [("cpp", "locked"), ("cpp", "reserved"), ("cpp", "cursor"), ("cpp", "count"), ("cpp", "half-made"),
         ("c", "locked")]


@pytest.mark.parametrize("holder,point", HOLDS, ids=[f"{NAMES[h]}_{p}".replace("+", "p") for h, p in HOLDS])
def test_table_lock_holder_killed(seg, holder, point):
    recoverer = OTHER[holder]
    assert seg.run("c", "populate", "pre_c") == "created pre_c"
    assert seg.run("cpp", "populate", "pre_cpp") == "created pre_cpp"
    lock, cursor_before = seg.header()
    assert lock == 0, f"table lock {lock:#x} before the test"

    # The C++ holder stops inside the creation of the Array<u8> "victim" (5000) at `point`;
    # the C holder takes the lock itself.
    h = seg.start(holder, "hold-table-lock", point)
    h.expect_line("half-made" if point == "half-made" else "locked")
    lock, _ = seg.header()
    if point != "half-made":
        assert lock != 0, f"the {NAMES[holder]} holder says it holds the table lock, but the word is 0"

    # While the holder lives, the other language's creation waits: for the lock, or (half-made:
    # the lock is free, the entry RESERVED) for the live creator of the same name to publish.
    # Once the holder is SIGKILLed it goes on within a bounded time (a dead holder is found
    # within a 20 ms liveness check), and the second creation then takes no wait at all.
    # "victim" is the name the dead process was creating (C++ holder: its entry is undone).
    first, second = (("victim", 5000), ("after", 100)) if point == "half-made" else (("after", 100), ("victim", 5000))
    w = seg.start(recoverer, "create-after", first[0], first[1], 10000)
    time.sleep(0.3)
    if w.popen.poll() is not None:
        w.fail(f"created '{first[0]}' while the {NAMES[holder]} holder ({point}) was still alive")
    killed = time.monotonic()
    h.kill()
    line = w.finish()
    took = time.monotonic() - killed
    assert line.startswith(f"created {first[0]} in"), line
    assert took < 3, f"the {NAMES[recoverer]} creation took {took:.1f} s after the {NAMES[holder]} holder was killed"
    line = seg.run(recoverer, "create-after", second[0], second[1], 3000)
    assert line.startswith(f"created {second[0]} in"), line
    expected = {"pre_c", "pre_cpp", "after", "victim"}
    for lang in ("c", "cpp"):
        # check-table: exactly these READY entries, each opens as an Array<u8> with its last byte 42, no overlap
        line = seg.run(lang, "check-table", ",".join(sorted(expected)))
        assert line.startswith("table ok: ") and set(line.split()[-1].split(",")) == expected, \
            f"the {NAMES[lang]} view of the table after the {NAMES[recoverer]} recovery: {line}"
    lock, cursor_after = seg.header()
    assert lock == 0, f"table lock {lock:#x} after the recovery"
    # what the dead creation took was rolled back or reused, not leaked (as the C++ creator_crash_test)
    assert cursor_after - cursor_before == align64(64 + 5000) + align64(64 + 100), (
        f"the heap grew by {cursor_after - cursor_before} bytes for 'victim' and 'after', "
        f"expected {align64(64 + 5000) + align64(64 + 100)}: the dead {NAMES[holder]} creation's region leaked")


# ------------------------------------------------------------------ error messages

ERROR_CASES = sorted(["missing-segment", "bad-segment-name", "missing-structure", "element-size", "capacity", "variant",
               "future-set-twice", "send-on-closed"])


def error_lines(seg, lang):
    p = seg.start(lang, "errors")
    p.finish()
    lines = {}
    for line in p.out.decode().splitlines():
        case, _, message = line.partition(": ")
        # a pid names the process that set or closed: one of the two programs, not the same one
        lines[case] = re.sub(r"\b(process|pid) \d+", r"\1 N", message)
    return lines


@pytest.mark.parametrize("first", ["c", "cpp"])
def test_same_error_messages_in_both_languages(seg, first):
    """The same failures, one program after the other on one segment: every message word for word."""
    mine = error_lines(seg, first)
    theirs = error_lines(seg, OTHER[first])
    assert sorted(mine) == ERROR_CASES and sorted(theirs) == ERROR_CASES, (mine, theirs)
    for case in ERROR_CASES:
        assert mine[case] == theirs[case], (
            f"{case}: {NAMES[first]} says '{mine[case]}', {NAMES[OTHER[first]]} says '{theirs[case]}'")
