"""zeroipc-inspect end to end, as a user runs it: list, show, monitor, dump and clean on
real segments made by real processes (tests/inspect/inspect_fixture.cpp).

The segment under test holds one structure of every kind and queue variant, with traffic,
built by processes that then died (a dead attached process, subscriber, reader and Future
producer); a live process holds it and subscribes to its stream. /dev/shm is shared with
the rest of the suite (ctest -j2), so every check looks at this test's own names, and
`clean` is run on this test's names only (the unrestricted `clean` only with --dry-run).
"""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

INSPECT = Path(os.environ.get("ZEROIPC_INSPECT", ROOT / "build" / "bin" / "zeroipc-inspect"))
FIXTURE = Path(os.environ.get("ZEROIPC_INSPECT_FIXTURE", ROOT / "build" / "tests" / "inspect" / "inspect_fixture"))
PREFIX = f"/zipc_insp_{os.getpid()}_"
SHM = Path("/dev/shm")

KINDS = {"arr": "array", "temperature": "array", "map": "map", "set": "set", "pool": "pool", "ring": "ring",
         "fut_pending": "future", "fut_set": "future", "failed_calc": "future", "lazy": "lazy",
         "stream": "stream", "ch": "channel", "rv": "channel",
         "s_treiber_tagged": "stack", "s_elimination_backoff": "stack"}
QUEUES = ["vyukov_bounded", "lcrq", "scq", "spsc_ring", "locked_ring", "lcrq_nodes", "scq_indices"]


def inspect(*args, timeout=60):
    return subprocess.run([str(INSPECT), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})


def inspect_json(*args, expect_rc=0):
    r = inspect(*args, "--json")
    assert r.returncode == expect_rc, (args, r.returncode, r.stdout[-2000:], r.stderr)
    return json.loads(r.stdout)


def fixture(*args):
    r = subprocess.run([str(FIXTURE), *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (args, r.stdout, r.stderr)


class Background:
    """A fixture process that prints "ready <pid>" once it holds what it holds."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([str(FIXTURE), *map(str, args)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), line
        self.pid = int(line.split()[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return out


def unlink(name):
    (SHM / name.lstrip("/")).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def live():
    """The segment of every kind, held by a live process subscribed to its stream."""
    name = PREFIX + "sensors"
    fixture("build", name)
    holder = Background("hold", name)
    yield name, holder.pid
    holder.stop()
    unlink(name)


def structures(doc):
    return {s["name"]: s for s in doc["segment"]["structures"]}


def test_show_reads_every_kind_and_variant_from_the_headers(live):
    name, holder = live
    doc = inspect_json("show", name)
    assert doc["schema"] == "zeroipc-inspect/1" and doc["command"] == "show"
    seg = doc["segment"]
    assert seg["status"] == "ok", seg["problems"]
    assert seg["structures_count"] == 29 and seg["table_capacity"] == 32 and seg["size"] == 128 * 1024
    assert seg["mode"] == "0600" and seg["used"] + seg["free"] + seg["data_offset"] == seg["size"]
    # the holder is alive; the builders attached and died without detaching
    assert {a["pid"] for a in seg["attached"] if a["alive"] == "alive"} == {holder}
    assert seg["processes"]["alive"] == 1 and seg["processes"]["dead"] >= 1
    s = structures(doc)
    for n, kind in KINDS.items():
        assert s[n]["kind"] == kind and s[n]["status"] == "ok", s[n]
    for v in QUEUES:
        for prefix, cap, depth in (("q_", 8, 4), ("q6_", 6, 5)):
            q = s[prefix + v]
            assert (q["kind"], q["variant"], q["capacity"], q["dtype"]) == ("queue", v, cap, "u64")
            assert q["fill"]["depth"] == depth, q  # 5 pushed, 1 popped (q6: 7 offered, 6 fit)
    assert s["q_vyukov_bounded"]["counters"] == {"pushes": 5, "pops": 1}
    assert s["q_lcrq"]["threads"]["slots_dead"] >= 1 and s["q_lcrq"]["threads"]["dead_in_operation"] == 0
    assert s["s_treiber_tagged"]["variant"] == "treiber_tagged" and s["s_treiber_tagged"]["fill"]["depth"] == 4
    assert s["s_elimination_backoff"]["fill"]["depth"] == 4
    assert s["map"]["fill"]["count"] == 5 and s["map"]["counters"]["inserted"] == 6
    assert s["map"]["counters"]["erased"] == 1 and s["map"]["counters"]["assigned"] == 1
    assert s["set"]["fill"]["count"] == 4 and s["set"]["key_size"] == 4
    assert s["pool"]["fill"] == {"capacity": 8, "free": 7, "in_use": 1, "held_by_dead": 1}
    reader = s["ring"]["fill"]["readers"][0]
    assert (reader["alive"], reader["read_pos"], reader["lag"]) == ("dead", 2, 3)
    pending = s["fut_pending"]
    assert pending["state"]["phase"] == "pending" and pending["owners"][0]["alive"] == "dead"
    assert s["fut_set"]["state"]["value"] == 7 and s["lazy"]["state"]["value"] == 9
    assert s["failed_calc"]["state"] == {"phase": "error", "sequence": 2, "sleepers": 0, "error": "sensor offline"}
    st = s["stream"]["state"]
    assert st["published"] == 3 and st["end_reason"] == "open" and st["overflow"] == "block"
    assert sorted(x["alive"] for x in st["subscribers"]) == ["alive", "dead"]
    assert {x["pid"] for x in st["subscribers"] if x["alive"] == "alive"} == {holder}
    assert s["ch"]["fill"] == {"depth": 2, "capacity": 4} and s["ch"]["state"]["closed"] is False
    assert s["rv"]["state"]["rendezvous"] is True and s["rv"]["state"]["handoff"] == "empty"


def test_show_text_is_a_table_of_every_structure(live):
    name, _ = live
    r = inspect("show", name)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"segment {name}") and "ok" in lines[0]
    header = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
    assert lines[header].split() == ["NAME", "KIND", "VARIANT", "ELEMENT", "CAPACITY", "FILL", "STATE", "OWNERS"]
    rows = {l.split()[0]: l for l in lines[header + 1:] if l.strip()}
    assert set(rows) == set(KINDS) | {p + v for v in QUEUES for p in ("q_", "q6_")}
    assert "error: sensor offline" in rows["failed_calc"] and "ready = 7" in rows["fut_set"]
    assert "\x1b[" not in r.stdout  # no colour off a terminal
    assert "attached: 1 alive" in r.stdout


def test_show_one_array_decodes_its_elements(live):
    name, _ = live
    doc = inspect_json("show", name, "temperature", "--elements", "4")
    assert doc["structure"]["elements"] == [20.0, 20.5, 21.0, 21.5]
    assert doc["structure"]["dtype"] == "f32" and doc["structure"]["capacity"] == 64
    r = inspect("show", name, "temperature", "--elements", "3")
    assert r.returncode == 0 and "elements: 20.0 20.5 21.0" in r.stdout


def test_missing_names_and_bad_usage_exit_1_and_2(live):
    name, _ = live
    r = inspect("show", PREFIX + "nothing_here")
    assert r.returncode == 1 and PREFIX + "nothing_here" in r.stderr and "does not exist" in r.stderr
    r = inspect("show", name, "no_such_structure")
    assert r.returncode == 1 and "no structure 'no_such_structure'" in r.stderr and "temperature" in r.stderr
    assert inspect("show", "/a/b").returncode == 2
    assert inspect("show", name, "--no-such-option").returncode == 2
    assert inspect("frobnicate").returncode == 2
    assert inspect("dump", name, "--offset", "999999999").returncode == 2
    r = inspect("monitor", name, "no_such_structure", "--count", "1")
    assert r.returncode == 1 and "no_such_structure" in r.stderr


def corrupt_copy(src, dst, patches):
    data = bytearray((SHM / src.lstrip("/")).read_bytes())
    for off, raw in patches:
        data[off:off + len(raw)] = raw
    (SHM / dst.lstrip("/")).write_bytes(bytes(data))
    os.chmod(SHM / dst.lstrip("/"), 0o600)


def test_a_corrupt_segment_is_shown_as_far_as_it_can_be_trusted(live):
    name, _ = live
    doc = inspect_json("show", name)
    arr = structures(doc)["arr"]
    bad_struct, bad_header = PREFIX + "bad_struct", PREFIX + "bad_header"
    reserved = PREFIX + "reserved"
    try:
        corrupt_copy(name, bad_struct, [(arr["offset"], b"XXXX")])      # the Array's magic
        corrupt_copy(name, bad_header, [(8, (12345).to_bytes(8, "little"))])  # segment_size
        corrupt_copy(name, reserved, [(1152 + 48, (1).to_bytes(4, "little"))])  # entry 0 RESERVED, as by a creator that died
        doc = inspect_json("show", reserved)  # a state the protocol allows: not corrupt
        entry = doc["segment"]["entries"][0]
        assert (entry["state"], entry["name"], entry["creator_alive"]) == ("reserved", "arr", "dead")
        assert "arr" not in structures(doc)
        assert "entry 0 'arr': reserved by pid" in inspect("show", reserved).stdout
        doc = inspect_json("show", bad_struct, expect_rc=1)
        assert doc["segment"]["status"] == "corrupt"
        s = structures(doc)
        assert s["arr"]["status"] == "corrupt" and "'ZIPS'" in s["arr"]["problems"][0]
        assert s["map"]["status"] == "ok" and s["map"]["fill"]["count"] == 5  # the rest is still shown
        r = inspect("show", bad_struct)
        assert r.returncode == 1 and "CORRUPT" in r.stdout
        doc = inspect_json("show", bad_header, expect_rc=1)
        assert doc["segment"]["status"] == "corrupt" and "12345" in doc["segment"]["problems"][0]
        listed = {s["name"]: s for s in inspect_json("list", expect_rc=1)["segments"]}
        assert listed[bad_header]["status"] == "corrupt" and listed[bad_struct]["status"] == "corrupt"
        assert listed[name]["status"] == "ok"
        # dump still annotates the header of the segment it cannot trust
        r = inspect("dump", bad_header, "--size", "32")
        assert r.returncode == 0 and "header.segment_size" in r.stdout
    finally:
        for n in (bad_struct, bad_header, reserved):
            unlink(n)


def test_list_skips_other_files_and_counts_processes(live):
    name, holder = live
    junk = PREFIX + "not_zeroipc"
    (SHM / junk.lstrip("/")).write_bytes(b"hello, not a segment")
    odd = b"/dev/shm" + PREFIX.encode() + b"latin1_\xe9"  # a name that is not UTF-8
    with open(odd, "wb") as f:
        f.write(b"not a segment either")
    try:
        doc = inspect("list", "--json")
        assert doc.returncode in (0, 1)  # 1 when another test's segment is corrupt right now
        doc = json.loads(doc.stdout)
        assert doc["command"] == "list"
        assert junk not in {s["name"] for s in doc["segments"]}
        assert {"name": junk, "reason": "no 'ZIPM' magic"} in doc["skipped"]
        mine = next(s for s in doc["segments"] if s["name"] == name)
        assert mine["structures_count"] == 29 and mine["processes"]["alive"] == 1
        assert mine["creator_pid"] > 0 and mine["age_s"] >= 0 and mine["owner_uid"] == os.geteuid()
        text = inspect("list").stdout
        row = next(l for l in text.splitlines() if l.startswith(name + " "))
        assert "128 KiB" in row and "1 alive" in row and "ok" in row
        assert "other file(s) in /dev/shm skipped" in text
        r = inspect("show", junk)
        assert r.returncode == 1 and "not a zeroipc segment" in r.stdout
        assert PREFIX + "latin1_\ufffd" in {x["name"] for x in doc["skipped"]}  # shown, not a failed document
    finally:
        unlink(junk)
        os.unlink(odd)


def test_monitor_sees_the_rate_a_helper_process_generates(live):
    name, _ = live
    rate = 2000
    traffic = Background("traffic", name, "q_vyukov_bounded", rate, 6)
    try:
        r = inspect("monitor", name, "q_vyukov_bounded", "--count", "3", "--interval", "0.5", "--json", timeout=60)
        assert r.returncode == 0, r.stderr
        samples = [json.loads(l) for l in r.stdout.splitlines()]
        assert [s["sample"] for s in samples] == [1, 2, 3]
        assert samples[0]["structures"][0]["rates"] == {"pushes_per_s": None, "pops_per_s": None}
        for s in samples[1:]:
            (q,) = s["structures"]
            assert q["name"] == "q_vyukov_bounded"
            # paced at 2000/s on an absolute schedule (a late helper catches up): a loaded 2-core
            # machine may still run it late for part of an interval, never much early
            assert 0.4 * rate <= q["rates"]["pushes_per_s"] <= 1.6 * rate, q["rates"]
            assert 0.4 * rate <= q["rates"]["pops_per_s"] <= 1.6 * rate, q["rates"]
            assert s["segment"]["processes"]["alive"] == 2  # the holder and the traffic process
        text = inspect("monitor", name, "q_vyukov_bounded", "stream", "--count", "2", "--interval", "0.3")
        assert text.returncode == 0
        assert "sample 1" in text.stdout and "sample 2" in text.stdout and "RATES" in text.stdout
        assert "pushes" in text.stdout and "k/s" in text.stdout
    finally:
        traffic.stop()


def test_dump_annotates_offsets_with_their_fields(live):
    name, _ = live
    r = inspect("dump", name, "--size", "64")
    assert r.returncode == 0
    first = r.stdout.splitlines()[0]
    assert first.startswith("00000000  5a 49 50 4d") and "|ZIPM" in first and "header.magic" in first
    doc = inspect_json("dump", name, "--offset", "1152", "--size", "64")
    assert doc["lines"][0]["fields"][0] == "table[0].name" and doc["lines"][0]["ascii"].startswith("arr")
    doc = inspect_json("dump", name, "--structure", "q_vyukov_bounded", "--offset", "64", "--size", "160")
    fields = [f for l in doc["lines"] for f in l["fields"]]
    assert fields[0] == "enqueue_pos" and "dequeue_pos" in fields
    assert "cells[0].sequence" in fields and "cells[0].element" in fields
    assert doc["lines"][0]["relative"] == 64


def test_clean_removes_exactly_the_dead_segments(live):
    name, _ = live
    dead, alive = PREFIX + "clean_dead", PREFIX + "clean_alive"
    junk = PREFIX + "clean_junk"
    temp = f"/.zeroipc-tmp-0-inspecttest{os.getpid()}-1"
    fixture("build", dead)
    fixture("build", alive)
    holder = Background("hold", alive)
    try:
        (SHM / junk.lstrip("/")).write_bytes(b"not a segment")
        shutil.copyfile(SHM / dead.lstrip("/"), SHM / temp.lstrip("/"))  # a creator that died mid-build
        time.sleep(1.2)  # temporaries younger than a second are never swept
        mine = [PREFIX + "clean_*", temp]
        doc = inspect_json("clean", "--dry-run", *mine)
        # Any process creating a segment may sweep a dead creator's temporary older than a second
        # (SPECIFICATION.md §1), and other tests create segments beside this one (ctest -j2): the
        # temporary may go at any moment. Gone, it must be missing from what clean reports.
        swept = not (SHM / temp.lstrip("/")).exists()
        assert doc["dry_run"] is True
        removed = sorted(x["name"] for x in doc["removed"])
        assert removed == sorted([dead, temp]) or (swept and removed in ([dead], sorted([dead, temp]))), removed
        assert [x["name"] for x in doc["kept"]] == [alive] and "1 live process" in doc["kept"][0]["reason"]
        assert all((SHM / n.lstrip("/")).exists() for n in (dead, alive, junk))
        # unrestricted, dry: this test's dead segment is among what would go, the live one is kept
        everything = inspect_json("clean", "--dry-run")
        assert dead in {x["name"] for x in everything["removed"]}
        assert alive in {x["name"] for x in everything["kept"]} and name in {x["name"] for x in everything["kept"]}
        r = inspect("clean", *mine)
        assert r.returncode == 0 and f"removed segment {dead}" in r.stdout
        assert "2 removed, 1 kept" in r.stdout or (not (SHM / temp.lstrip("/")).exists()
                                                   and "1 removed, 1 kept" in r.stdout), r.stdout
        assert not (SHM / dead.lstrip("/")).exists() and not (SHM / temp.lstrip("/")).exists()
        assert (SHM / alive.lstrip("/")).exists() and (SHM / junk.lstrip("/")).exists()
        holder.stop()  # now nothing has it mapped
        assert [x["name"] for x in inspect_json("clean", *mine)["removed"]] == [alive]
    finally:
        holder.stop()
        for n in (dead, alive, junk, temp):
            unlink(n)
