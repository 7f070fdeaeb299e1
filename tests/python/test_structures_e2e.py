"""The structures experiment through the harness end to end: the map workload (a key-value mix on
one shared map) on zeroipc's Map and on every baseline store this build has (Boost.Interprocess
containers, Redis GET / SET / DEL), by 1 and 2 worker processes, each worker's own keys read back
at the end; the pool workload (handles through a queue, and copies as the baseline) and the ring
workload (bulk transfer, zero copy, against the memcpy and shm-read floors); and their figures.

The harness binary comes from $ZEROIPC_HARNESS (ctest sets it), else build/harness/zeroipc-harness.
"""

from pathlib import Path

import pytest

from conftest import HARNESS, ROOT, harness, results_dir, run_script
import zeroipc_results as zr

pytestmark = pytest.mark.skipif(not HARNESS.exists(), reason=f"harness not built at {HARNESS}")

KEYS = 500
FLOOR = """[floor]
cacheline_round_trips = 2000
cacheline_warmup = 200
memcpy_bytes = 1048576
shm_read_bytes = 262144
passes = 2
"""
TINY = f"""
[experiment]
name = "tiny-structures"
repetitions = 1
[matrix]
workloads = ["map"]
structures = ["map"]
stores = ["all"]
message_sizes = [16]
producers = [1, 2]
consumers = [1, 2]
skip_impossible = true
[map]
keys = {KEYS}
ops = 3000
warmup_ops = 300
{FLOOR}"""

# The stores this build has, as the plan reports them: those it lacks are in the plan's notes.
def built_stores(stdout):
    off = {line.split("store ")[1].split(" is off")[0] for line in stdout.splitlines() if "note: store " in line}
    return [s for s in ("zeroipc_locked_probe", "boost_unordered_map", "boost_map", "redis") if s not in off]


def run_tiny(tmp_path, *overrides):
    path = tmp_path / "tiny-structures.toml"
    path.write_text(TINY)
    r = harness(path, *overrides, "--results", tmp_path / "out", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return zr.load_results(results_dir(tmp_path)), r.stdout


def test_map_on_every_store_measured_and_verified(tmp_path):
    doc, stdout = run_tiny(tmp_path)
    cases = {c["id"]: c for c in doc["cases"]}
    stores = built_stores(stdout)
    assert "zeroipc_locked_probe" in stores
    for store in stores:
        for mix in ("read_mostly", "write_heavy"):
            for workers in (1, 2):
                cid = f"map/map/{store}/{mix}/16B/{workers}p{workers}c/different-cores"
                c = cases[cid]
                assert c["status"] == "ok", (cid, c["error"])
                assert c["workload"] == "map" and c["structure"] == "map" and c["variant"] == store
                assert c["mix"] == mix and c["capacity"] == KEYS
                assert c["primary_metric"] == "throughput_ops_per_s"
                m = c["metrics"]["throughput_ops_per_s"]
                assert m["unit"] == "ops/s" and m["median"] > 0, m
                rep = c["repetitions"][0]
                # Every key was read back by its owner and held what it wrote last (or nothing after
                # an erase); no find saw a torn value or one of another key.
                v = rep["verification"]
                assert v["sent"] == v["received"] == KEYS and v["multiset_hash_match"], v
                assert v["corrupt"] == 0, v
                assert rep["messages"] == 3000 * workers, rep
                assert [w["role"] for w in rep["workers"]] == ["worker"] * workers
                assert rep["store"], rep
    # Unequal producers and consumers do not make a map case; the plan says why.
    assert "consumers must equal producers" in stdout
    assert not any("/1p2c/" in cid or "/2p1c/" in cid for cid in cases)

    folder = results_dir(tmp_path)
    r = run_script("plot.py", folder)
    assert r.returncode == 0, r.stderr
    assert (folder / "plots" / "map_throughput.png").stat().st_size > 10000, r.stdout


def test_map_for_a_duration(tmp_path):
    doc, _ = run_tiny(tmp_path, "stores=zeroipc_locked_probe", "producers=2", "consumers=2",
                      "map.timed_ms=50", "map.mixes=write_heavy", "floor=false")
    (c,) = doc["cases"]
    assert c["id"] == "map/map/zeroipc_locked_probe/write_heavy/16B/2p2c/different-cores"
    assert c["status"] == "ok", c["error"]
    rep = c["repetitions"][0]
    assert rep["messages"] > 1000 and rep["verification"]["received"] == KEYS, rep


def test_a_killed_worker_fails_the_repetition_and_its_store_is_removed(tmp_path):
    # Killing the store's creator mid-run (the harness's test hook) fails the repetition with the
    # reason; the harness removes the store it made (no segment left behind).
    before = {p.name for p in Path("/dev/shm").glob("zeroipc-harness-*-map")}
    path = tmp_path / "tiny-structures.toml"
    path.write_text(TINY)
    r = harness(path, "stores=zeroipc_locked_probe", "producers=1", "consumers=1", "map.mixes=read_mostly",
                "floor=false", "--results", tmp_path / "out", timeout=300,
                env={"ZEROIPC_HARNESS_KILL_WORKER": "map/map/zeroipc_locked_probe:0:1000"})
    assert r.returncode == 1, r.stdout + r.stderr
    doc = zr.load_results(results_dir(tmp_path))
    (c,) = doc["cases"]
    assert c["status"] == "failed" and "SIGKILL" in c["error"], c["error"]
    assert {p.name for p in Path("/dev/shm").glob("zeroipc-harness-*-map")} <= before


def test_structures_experiment_plans():
    r = harness(ROOT / "experiments" / "structures.toml", "--plan")
    assert r.returncode == 0, r.stdout + r.stderr
    for cid in ("map/map/zeroipc_locked_probe/read_mostly/64B/1p1c/different-cores",
                "map/map/zeroipc_locked_probe/write_heavy/64B/2p2c/different-cores",
                "pool/pool/locked_free_list/handles/65536B/1p1c/different-cores",
                "pool/pool/locked_free_list/copies/4096B/1p1c/different-cores",
                "ring/ring/gated_ring/1048576B/1p1c/different-cores"):
        assert f"  {cid}  on PUs" in r.stdout, (cid, r.stdout)


POOL_RING = f"""
[experiment]
name = "tiny-pool-ring"
repetitions = 1
[matrix]
workloads = ["pool", "ring"]
structures = ["pool", "ring"]
producers = [1]
consumers = [1]
skip_impossible = true
[pool]
object_sizes = [64, 4096]
objects = 16
cycles = 2000
warmup_cycles = 200
[ring]
transfer_sizes = [4096, 1048576]
capacity_bytes = 4194304
transfer_bytes = 8388608
warmup_transfer_bytes = 1048576
{FLOOR}"""


def test_pool_and_ring_measured_verified_and_drawn(tmp_path):
    path = tmp_path / "tiny-pool-ring.toml"
    path.write_text(POOL_RING)
    r = harness(path, "--results", tmp_path / "out", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = results_dir(tmp_path)
    doc = zr.load_results(folder)
    cases = {c["id"]: c for c in doc["cases"]}
    for mode in ("handles", "copies"):
        for size in (64, 4096):
            cid = f"pool/pool/locked_free_list/{mode}/{size}B/1p1c/different-cores"
            c = cases[cid]
            assert c["status"] == "ok", (cid, c["error"])
            assert c["mix"] == mode and c["capacity"] == 16
            assert c["primary_metric"] == "throughput_msgs_per_s"
            assert c["metrics"]["throughput_msgs_per_s"]["median"] > 0
            assert c["metrics"]["throughput_bytes_per_s"]["median"] > 0
            rep = c["repetitions"][0]
            # Every message checked word by word where the consumer found it, none lost; the
            # worker checked that every object went back to the pool (else the case fails).
            v = rep["verification"]
            assert v["sent"] == v["received"] == 2200 and v["multiset_hash_match"], v
            assert v["corrupt"] == 0 and v["out_of_order"] == 0, v
            assert rep["messages"] == 2000 and rep["bytes"] == 2000 * size, rep
            assert [w["role"] for w in rep["workers"]] == ["producer", "consumer"]
    for size, messages in ((4096, 2048), (1048576, 8)):
        cid = f"ring/ring/gated_ring/{size}B/1p1c/different-cores"
        c = cases[cid]
        assert c["status"] == "ok", (cid, c["error"])
        assert c["primary_metric"] == "throughput_bytes_per_s"
        assert c["metrics"]["throughput_bytes_per_s"]["median"] > 0
        assert c["bandwidth_floor_case"] == "floor-shm-read/different-cores"
        rep = c["repetitions"][0]
        v = rep["verification"]
        warmup = 1048576 // size
        assert v["sent"] == v["received"] == messages + warmup and v["multiset_hash_match"], v
        assert v["corrupt"] == 0 and v["out_of_order"] == 0, v
        assert rep["bytes"] == 8388608, rep
        assert [w["role"] for w in rep["workers"]] == ["writer", "reader"]
    assert any(c["workload"] == "floor-memcpy" and c["status"] == "ok" for c in doc["cases"])

    r = run_script("plot.py", folder)
    assert r.returncode == 0, r.stderr
    for name in ("pool_throughput", "ring_bandwidth"):
        assert (folder / "plots" / f"{name}.png").stat().st_size > 10000, r.stdout
    table = (folder / "plots" / "structures_table.md").read_text()
    assert "## pool" in table and "## ring" in table and "x memcpy" in table, table


def test_ring_with_two_readers(tmp_path):
    # Every reader gets every message (oversubscribed on a 2-core machine: 3 workers).
    path = tmp_path / "tiny-pool-ring.toml"
    path.write_text(POOL_RING)
    r = harness(path, "workloads=ring", "structures=ring", "consumers=2", "ring.transfer_sizes=65536",
                "oversubscribe=true", "floor=false", "--results", tmp_path / "out", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (c,) = zr.load_results(results_dir(tmp_path))["cases"]
    assert c["id"].startswith("ring/ring/gated_ring/65536B/1p2c/"), c["id"]
    assert c["status"] == "ok", c["error"]
    v = c["repetitions"][0]["verification"]
    assert v["sent"] == 128 + 16 and v["received"] == 2 * v["sent"] and v["multiset_hash_match"], v
