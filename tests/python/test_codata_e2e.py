"""The codata experiment (issue 6) through the harness end to end: Channel ping-pong (blocking and
spinning) beside the futex floor, and zeroipc::Stream fan-out to 1 and 2 subscriber processes, each
subscriber checked to receive every message, intact and in order.

The harness binary comes from $ZEROIPC_HARNESS (ctest sets it), else build/harness/zeroipc-harness.
"""

import pytest

from conftest import HARNESS, ROOT, harness, results_dir, run_script
import zeroipc_results as zr

pytestmark = pytest.mark.skipif(not HARNESS.exists(), reason=f"harness not built at {HARNESS}")

# One matrix for both kinds of case: the combinations that do not belong together (a stream with
# pingpong, a transport with fanout or 2 consumers) are skipped; 1p2c oversubscribes a 2-PU machine.
TINY = """
[experiment]
name = "tiny-codata"
repetitions = 1
oversubscribe = true
[matrix]
workloads = ["pingpong", "fanout"]
structures = ["transport", "stream"]
transports = ["zeroipc_channel", "zeroipc_channel_spin"]
message_sizes = [8, 64]
consumers = [1, 2]
skip_impossible = true
[pingpong]
round_trips = 300
warmup_round_trips = 30
[streaming]
messages = 5000
warmup_messages = 500
capacity = 64
[floor]
cacheline_round_trips = 2000
cacheline_warmup = 200
memcpy_bytes = 1048576
shm_read_bytes = 262144
passes = 2
futex = true
"""


def run_tiny(tmp_path, *overrides):
    path = tmp_path / "tiny-codata.toml"
    path.write_text(TINY)
    r = harness(path, *overrides, "--results", tmp_path / "out", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return zr.load_results(results_dir(tmp_path)), r.stdout


def test_channel_pingpong_and_stream_fanout_measured_and_verified(tmp_path):
    doc, stdout = run_tiny(tmp_path)
    cases = {c["id"]: c for c in doc["cases"]}
    assert all(c["status"] == "ok" for c in cases.values()), {i: c["error"] for i, c in cases.items()}

    for t in ("zeroipc_channel", "zeroipc_channel_spin"):
        for size in (8, 64):
            c = cases[f"pingpong/transport/{t}/{size}B/1p1c/different-cores"]
            v = c["repetitions"][0]["verification"]
            assert v["sent"] == v["received"] == 2 * (300 + 30) and v["multiset_hash_match"], v
            assert c["metrics"]["round_trip_ns_p50"]["median"] > 0
    futex = cases["floor-futex/different-cores"]
    assert futex["metrics"]["round_trip_ns_p50"]["median"] > 0

    for subscribers in (1, 2):
        for size in (8, 64):
            cid = f"fanout/stream/block/{size}B/1p{subscribers}c/different-cores"
            c = cases[cid]
            assert c["workload"] == "fanout" and c["structure"] == "stream" and c["variant"] == "block"
            assert c["primary_metric"] == "throughput_msgs_per_s"
            rep = c["repetitions"][0]
            v = rep["verification"]
            # Multicast: every subscriber receives every message the producer emitted.
            assert v["sent"] == 5000 + 500, v
            assert v["received"] == v["sent"] * subscribers == v["expected_received"], v
            assert v["multiset_hash_match"] and v["corrupt"] == 0 and v["out_of_order"] == 0, v
            assert v["left_in_structure"] == 0, v
            assert rep["messages"] == 5000 and rep["bytes"] == 5000 * size, rep
            assert [w["role"] for w in rep["workers"]] == ["producer"] + ["consumer"] * subscribers
            assert c["metrics"]["throughput_msgs_per_s"]["median"] > 0
            assert c["metrics"]["throughput_bytes_per_s"]["median"] > 0

    # What does not belong together is left out, with the reason.
    assert "skipped pingpong/stream/block/8B/1p1c/different-cores: a stream is measured by the fanout" in stdout
    assert "skipped fanout/transport/zeroipc_channel/8B/1p1c/different-cores: fanout measures" in stdout
    assert "pingpong/transport/zeroipc_channel/8B/1p2c/different-cores" not in cases

    # The figures and tables of this run: the fan-out figure, and round trips against the futex floor.
    folder = results_dir(tmp_path)
    r = run_script("plot.py", folder)
    assert r.returncode == 0, r.stderr
    assert (folder / "plots" / "fanout_vs_subscribers.png").stat().st_size > 10000, r.stdout
    assert (folder / "plots" / "transport_latency.png").stat().st_size > 10000, r.stdout
    tables = (folder / "plots" / "transport_tables.md").read_text()
    row = next(line for line in tables.split("## pingpong, 8 B")[1].splitlines() if "| zeroipc_channel |" in line)
    rt = cases["pingpong/transport/zeroipc_channel/8B/1p1c/different-cores"]["metrics"]["round_trip_ns_p50"]["median"]
    assert row.split("|")[6].strip() == f"{rt / futex['metrics']['round_trip_ns_p50']['median']:.2f}x", row


def test_fanout_for_a_duration(tmp_path):
    doc, _ = run_tiny(tmp_path, "workloads=fanout", "structures=stream", "duration_ms=100", "message_sizes=8",
                      "floor=false")
    cases = {c["id"]: c for c in doc["cases"]}
    assert set(cases) == {"fanout/stream/block/8B/1p1c/different-cores",
                          "fanout/stream/block/8B/1p2c/different-cores"}, set(cases)
    for cid, c in cases.items():
        assert c["status"] == "ok", (cid, c["error"])
        v = c["repetitions"][0]["verification"]
        assert v["sent"] > 500 and v["received"] == v["sent"] * c["consumers"] and v["multiset_hash_match"], v


def test_codata_experiment_plans(tmp_path):
    r = harness(ROOT / "experiments" / "codata.toml", "--plan")
    assert r.returncode == 0, r.stdout + r.stderr
    for cid in ("pingpong/transport/zeroipc_channel/8B/1p1c/different-cores",
                "pingpong/transport/zeroipc_channel_spin/64B/1p1c/different-cores",
                "fanout/stream/block/64B/1p1c/different-cores", "fanout/stream/block/64B/1p2c/different-cores",
                "floor-futex/different-cores"):
        assert f"  {cid}  on PUs" in r.stdout, (cid, r.stdout)
