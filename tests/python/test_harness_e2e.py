"""The experiment harness end to end: real worker processes, a real results folder.

The harness binary comes from $ZEROIPC_HARNESS (ctest sets it), else build/harness/zeroipc-harness.
Each experiment here is tiny (a few seconds): the point is the whole path — config, plan, pinned
workers, verification, results against the schema, plots, failures and Ctrl-C — not the numbers.
"""

import csv
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HARNESS, ROOT, harness, results_dir, run_script
import zeroipc_results as zr

pytestmark = pytest.mark.skipif(not HARNESS.exists(), reason=f"harness not built at {HARNESS}")

TINY = """
[experiment]
name = "tiny"
repetitions = 2
[matrix]
workloads = ["pingpong", "streaming"]
variants = ["vyukov_bounded", "spsc_ring"]
message_sizes = [8, 64]
[pingpong]
round_trips = 2000
warmup_round_trips = 200
[streaming]
messages = 20000
warmup_messages = 2000
[floor]
cacheline_round_trips = 2000
cacheline_warmup = 200
memcpy_bytes = 1048576
shm_read_bytes = 262144
passes = 2
"""


def write_experiment(tmp_path, text=TINY, name="tiny.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def leftovers(pid):
    """Segments and processes of the harness `pid` that outlived it."""
    segments = [p.name for p in Path("/dev/shm").glob(f"zeroipc-harness-{pid}-*")]
    procs = subprocess.run(["pgrep", "-f", f"zeroipc-harness-{pid}-"], capture_output=True, text=True).stdout.split()
    return segments, procs


def test_tiny_experiment_end_to_end(tmp_path):
    exp = write_experiment(tmp_path)
    r = harness(exp, "--results", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    out = results_dir(tmp_path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-tiny-[0-9a-f]+|\d{4}-\d\d-\d\d-tiny-unknown", out.name), out.name

    doc = zr.load_results(out)  # checks the schema
    assert doc["status"] == "complete"
    assert doc["experiment"]["config"]["experiment"]["repetitions"] == 2
    for key in ("git_commit", "git_dirty", "build_type", "compiler", "cpu_model", "kernel", "topology",
                "counters", "load_average", "timestamp", "hostname", "clock", "placements"):
        assert key in doc["context"], key
    assert doc["context"]["counters"].startswith(("available", "unavailable ("))

    cases = {c["id"]: c for c in doc["cases"]}
    floors = [i for i in cases if i.startswith("floor-")]
    assert {i.split("/")[0] for i in floors} == {"floor-cacheline", "floor-shm-read", "floor-memcpy"}
    expected = {f"{w}/queue/{v}/{s}B/1p1c/different-cores" for w in ("pingpong", "streaming")
                for v in ("vyukov_bounded", "spsc_ring") for s in (8, 64)}
    assert expected <= set(cases)
    assert doc["plan"]["runs"] == len(cases) * 2
    for case in cases.values():
        assert case["status"] == "ok", case
        assert len(case["repetitions"]) == 2
        primary = case["metrics"][case["primary_metric"]]
        assert primary["n"] == 2 and primary["ci_low"] <= primary["median"] <= primary["ci_high"]
        for rep in case["repetitions"]:
            assert rep["status"] == "ok"
            assert rep["elapsed_ns"] > 0
            for w in rep["workers"]:
                assert set(w["software"]) >= {"voluntary_switches", "involuntary_switches", "migrations"}
                assert w["pu"] in case["pus"]
                assert "available" in w["counters"]
                assert isinstance(w["waits"], int) and w["waits"] >= 0
            v = rep.get("verification")
            if v and not case["workload"].startswith("floor"):
                assert v["sent"] == v["received"] and v["multiset_hash_match"]
                assert v["corrupt"] == 0 and v["out_of_order"] == 0

    ping = cases["pingpong/queue/vyukov_bounded/8B/1p1c/different-cores"]
    rep = ping["repetitions"][0]
    assert rep["messages"] == 2000
    assert sum(n for _, n in rep["histograms"]["round_trip_ns"]["buckets"]) == 2000
    # The initiator polls for each echo, which cannot be back at its first
    # poll in all 2000 timed round trips: its waits are counted.
    initiator = next(w for w in rep["workers"] if w["role"] == "initiator")
    assert initiator["waits"] > 0, rep["workers"]
    rtt = ping["metrics"]["round_trip_ns_p50"]
    assert rtt["floor"] == cases["floor-cacheline/different-cores"]["metrics"]["round_trip_ns_p50"]["median"]
    assert rtt["floor_ratio"] == pytest.approx(rtt["median"] / rtt["floor"])
    stream = cases["streaming/queue/spsc_ring/64B/1p1c/different-cores"]
    assert stream["repetitions"][0]["messages"] == 20000
    bw = stream["metrics"]["throughput_bytes_per_s"]
    assert bw["floor_ratio"] == pytest.approx(bw["floor"] / bw["median"])
    assert "one_way_ns_p50" in stream["metrics"]

    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    readme = (ROOT / "results" / "README.md").read_text()
    header = next(line for line in readme.splitlines() if line.startswith("case,workload,"))
    assert list(rows[0].keys()) == header.split(",")
    assert {r["case"] for r in rows} == set(cases)
    table = (out / "summary.txt").read_text()
    assert all(case_id in table for case_id in cases) and "CI of median" in table
    assert table in r.stdout

    p = run_script("plot.py", out)
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("latency_percentiles", "latency_cdf", "throughput_vs_size"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 10000
        assert (out / "plots" / f"{name}.pdf").exists()


def test_overrides_and_plan_only(tmp_path):
    exp = write_experiment(tmp_path)
    r = harness("--plan", exp, "variants=lcrq", "message_sizes=16", "repetitions=3")
    assert r.returncode == 0, r.stderr
    assert "cases x 3 repetitions" in r.stdout
    assert "pingpong/queue/lcrq/16B/1p1c/different-cores" in r.stdout
    assert "vyukov_bounded" not in r.stdout


@pytest.mark.parametrize("args, expected", [
    (["bogus=1"], "unknown key 'bogus'"),
    (["variants=nope"], "unknown value 'nope' (valid: all, vyukov_bounded"),
    (["workloads=streaming", "variants=spsc_ring", "producers=3"],
     "3 producers on spsc_ring, which allows one producer (valid: producers = 1)"),
    (["producers=3"], "pingpong is one initiator and one responder"),
    (["message_sizes=24"], "24 is not supported (valid: 8, 16"),
    (["placements=somewhere"], "unknown value 'somewhere'"),
    (["workloads=streaming", "structures=queue,reference", "variants=vyukov_bounded", "producers=2",
      "oversubscribe=true"],
     "the reference ring is single-producer single-consumer: it needs producers = 1 and consumers = 1, not 2p1c"),
])
def test_bad_config_refused_before_anything_runs(tmp_path, args, expected):
    exp = write_experiment(tmp_path)
    r = harness(exp, *args, "--results", tmp_path / "out")
    assert r.returncode == 2, r.stdout + r.stderr
    assert expected in r.stderr
    assert not (tmp_path / "out").exists()


def test_reference_ring_runs_beside_the_queues_and_reads_them(tmp_path):
    """structure "reference": the minimal SPSC ring, run and verified like a queue; the summary
    reads each queue case of the same workload, size, workers and placement against it."""
    exp = write_experiment(tmp_path, TINY.replace('variants = ["vyukov_bounded", "spsc_ring"]',
                                                  'structures = ["queue", "reference"]\nvariants = ["spsc_ring"]')
                           .replace("message_sizes = [8, 64]", "message_sizes = [8]")
                           .replace('repetitions = 2', 'repetitions = 2\nfloor = false'))
    r = harness(exp, "--results", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = zr.load_results(results_dir(tmp_path))
    cases = {c["id"]: c for c in doc["cases"]}
    for workload, metric in (("pingpong", "round_trip_ns_p50"), ("streaming", "throughput_msgs_per_s")):
        ref_id = f"{workload}/reference/minimal_spsc/8B/1p1c/different-cores"
        ref = cases[ref_id]
        assert ref["status"] == "ok", ref
        assert ref["structure"] == "reference" and ref["variant"] == "minimal_spsc"
        for rep in ref["repetitions"]:
            v = rep["verification"]
            assert v["sent"] == v["received"] > 0 and v["multiset_hash_match"], v
            assert v["corrupt"] == 0 and v["out_of_order"] == 0
            assert rep["messages"] == 2000 if workload == "pingpong" else 20000
        assert ref["metrics"][metric]["median"] > 0
        queue = cases[f"{workload}/queue/spsc_ring/8B/1p1c/different-cores"]
        assert queue["reference_case"] == ref_id
        m = queue["metrics"][metric]
        assert m["reference"] == ref["metrics"][metric]["median"]
        expected = m["median"] / m["reference"] if metric.endswith("_ns_p50") else m["reference"] / m["median"]
        assert m["reference_ratio"] == pytest.approx(expected)
    assert "one_way_ns_p50" in cases["streaming/reference/minimal_spsc/8B/1p1c/different-cores"]["metrics"]
    table = (results_dir(tmp_path) / "summary.txt").read_text()
    header = table.splitlines()[0]
    assert "x reference" in header
    line = next(l for l in table.splitlines() if l.startswith("streaming/queue/spsc_ring/8B"))
    assert re.search(r"\s\d+\.\d\dx(\s|$)", line), line  # "x reference" has two decimals, "x floor" one


def test_unknown_section_in_file(tmp_path):
    exp = write_experiment(tmp_path, TINY + "\n[streeming]\nmessages = 5\n")
    r = harness(exp)
    assert r.returncode == 2
    assert "unknown section [streeming]" in r.stderr and "streaming" in r.stderr


def test_dead_worker_fails_its_case_and_the_run_goes_on(tmp_path):
    exp = write_experiment(tmp_path)
    proc = subprocess.Popen([str(HARNESS), str(exp), "--results", str(tmp_path / "out")], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ, "ZEROIPC_HARNESS_KILL_WORKER": "streaming/queue/spsc_ring/8B:1:5000"})
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stdout + stderr
    assert re.search(r"FAILED streaming/queue/spsc_ring/8B/1p1c/different-cores repetition 1: "
                     r"worker consumer#0 \(pid \d+, PU \d+\) was killed by signal 9", stderr), stderr
    doc = zr.load_results(results_dir(tmp_path))
    cases = {c["id"]: c for c in doc["cases"]}
    dead = cases["streaming/queue/spsc_ring/8B/1p1c/different-cores"]
    assert dead["status"] == "failed" and "killed by signal 9" in dead["error"]
    assert all(c["status"] == "ok" for i, c in cases.items() if i != dead["id"])
    assert leftovers(proc.pid) == ([], [])


def test_ctrl_c_stops_cleanly_and_keeps_finished_repetitions(tmp_path):
    exp = write_experiment(tmp_path)
    proc = subprocess.Popen([str(HARNESS), str(exp), "repetitions=200", "--results", str(tmp_path / "out")],
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stdout
    doc = zr.load_results(results_dir(tmp_path))
    assert doc["status"] == "interrupted"
    finished = sum(len(c["repetitions"]) for c in doc["cases"])
    assert 0 < finished < doc["plan"]["runs"]
    assert all(r["status"] == "ok" for c in doc["cases"] for r in c["repetitions"])
    assert leftovers(proc.pid) == ([], [])
