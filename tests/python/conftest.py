"""Synthetic results folders (schema zeroipc-results/1, results/README.md) for the script tests.

build_results(...) makes a whole results.json document: floor probes, pingpong cases with
round_trip_ns / one_way_ns histograms, streaming cases at several message sizes and worker
counts, one failed case, one metric that could not be measured (median null). The values are
deterministic; scaling options make a second run whose latencies or throughputs differ.
"""

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
PYTHON = "/usr/bin/python3"
sys.path.insert(0, str(SCRIPTS))

# The harness the end-to-end tests run: $ZEROIPC_HARNESS (ctest sets it), else the Release build's.
HARNESS = Path(os.environ.get("ZEROIPC_HARNESS", ROOT / "build" / "harness" / "zeroipc-harness"))


def harness(*args, env=None, timeout=120):
    """Runs the harness with `args` (no stdin), output captured as text."""
    return subprocess.run([str(HARNESS), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def run_script(name, *args):
    """Runs scripts/<name> (plot.py, compare.py) with Debian's Python, output captured as text."""
    return subprocess.run([PYTHON, str(SCRIPTS / name), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def results_dir(tmp_path):
    """The one results folder a harness run with `--results tmp_path/out` wrote."""
    dirs = [d for d in (tmp_path / "out").iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]

PLACEMENT = "different-cores"
PINGPONG_VARIANTS = [("queue", "vyukov_bounded", 420.0), ("queue", "lcrq", 560.0),
                     ("queue", "locked_ring", 950.0), ("stack", "treiber_tagged", 610.0)]
STREAMING_VARIANTS = [("queue", "vyukov_bounded", 11e6), ("queue", "lcrq", 8e6),
                      ("queue", "locked_ring", 3.5e6)]
PINGPONG_SIZES = [8, 256]
STREAMING_SIZES = [8, 64, 512, 4096]
WORKERS = [(1, 1), (2, 2), (4, 4)]          # at WORKER_SIZE
WORKER_SIZE = 64
PERCENTILES = {"p50": 1.0, "p90": 1.3, "p99": 2.4, "p999": 5.5, "max": 40.0}


def _rng(*key):
    return np.random.default_rng(zlib.crc32("/".join(map(str, key)).encode()))


def summarize(values, unit, better, floor=None):
    """A Metric object over the repetition values (order-statistic interval around the median)."""
    v = sorted(values)
    n = len(v)
    k = 1 if n >= 6 else 0
    median = float(np.median(v))
    ratio = None
    if floor is not None:
        ratio = median / floor if better == "lower" else floor / median
    return {"unit": unit, "better": better, "values": list(values), "n": n, "median": median,
            "ci_low": v[k], "ci_high": v[n - 1 - k], "ci_level": 0.9375, "min": v[0],
            "max": v[-1], "mean": float(np.mean(v)), "stddev": float(np.std(v, ddof=1)) if n > 1 else 0.0,
            "wide_spread": False, "note": "", "floor": floor, "floor_ratio": ratio,
            "floor_ratio_ci": None if ratio is None else [ratio * 0.98, ratio * 1.02]}


def unmeasured(unit, better, n, note):
    return {"unit": unit, "better": better, "values": [None] * n, "n": 0, "median": None,
            "ci_low": None, "ci_high": None, "ci_level": None, "min": None, "max": None,
            "mean": None, "stddev": None, "wide_spread": False, "note": note, "floor": None,
            "floor_ratio": None, "floor_ratio_ci": None}


def histogram(samples):
    """histogram.h to_json()-like: 3 significant digits, sparse [lowest value, count] buckets."""
    v = np.maximum(np.asarray(samples, dtype=np.int64), 1)
    shift = np.maximum(np.floor(np.log2(v)).astype(np.int64) - 10, 0)
    lowest = (v >> shift) << shift
    values, counts = np.unique(lowest, return_counts=True)
    return {"significant_digits": 3, "count": int(counts.sum()), "min": int(v.min()),
            "max": int(v.max()), "buckets": [[int(a), int(c)] for a, c in zip(values, counts)]}


def spread(n, key):
    """n distinct factors around 1 (1.00 .. 1.0x), in a key-dependent order."""
    return list(_rng(*key).permutation(1 + 0.01 * np.arange(n)))


def repetition(i, values, messages, size, hists=None, status="ok", error=None):
    return {"index": i, "order": i, "status": status, "error": error, "messages": messages,
            "bytes": messages * size, "elapsed_ns": 1_000_000, "values": values,
            "histograms": hists or {}, "one_way_note": "",
            "verification": {"sent": messages, "received": messages, "corrupt": 0,
                             "out_of_order": 0, "multiset_hash_match": True},
            "workers": []}


def case(cid, workload, structure, variant, size, p, c, metrics, primary, reps, floor_case,
         status="ok", error=None, oversubscribed=False):
    return {"id": cid, "workload": workload, "structure": structure, "variant": variant,
            "message_size": size, "producers": p, "consumers": c, "placement": PLACEMENT,
            "pus": list(range(p + c)), "oversubscribed": oversubscribed, "floor_case": floor_case,
            # written by the harness next to floor_case (not in results/README.md yet)
            "bandwidth_floor_case": floor_case and f"floor-shm-read/{PLACEMENT}",
            "status": status, "error": error, "metrics": metrics, "primary_metric": primary,
            "repetitions": reps}


def latency_case(cid, workload, structure, variant, size, base, n, scale, floor, floor_case,
                 null_p999=False):
    factors = spread(n, cid)
    metrics, reps = {}, []
    per_rep = [{} for _ in range(n)]
    for name, mult in PERCENTILES.items():
        vals = [round(base * mult * f * scale, 1) for f in factors]
        mname = f"round_trip_ns_{name}"
        for r, v in zip(per_rep, vals):
            r[mname] = v
        metrics[mname] = summarize(vals, "ns", "lower", floor if name == "p50" else None)
    if null_p999:
        metrics["round_trip_ns_p999"] = unmeasured("ns", "lower", n, "fewer than 1000 round trips")
    trips = [1e9 / (base * f * scale) for f in factors]
    metrics["throughput_msgs_per_s"] = summarize(trips, "msgs/s", "higher")
    for i, r in enumerate(per_rep):
        r["throughput_msgs_per_s"] = trips[i]
    rng = _rng(cid, "samples")
    for i in range(n):
        samples = base * factors[i] * scale * np.exp(0.25 * rng.standard_normal(4000))
        samples[:40] *= 6  # a tail
        hists = {"round_trip_ns": histogram(samples), "one_way_ns": histogram(samples / 2)}
        reps.append(repetition(i, per_rep[i], 4000, size, hists))
    return case(cid, workload, structure, variant, size, 1, 1, metrics, "round_trip_ns_p50", reps,
                floor_case)


def throughput_case(cid, structure, variant, size, p, c, base, n, scale, floor_bytes):
    factors = spread(n, cid)
    msgs = [base * f * scale for f in factors]
    nbytes = [m * size for m in msgs]
    metrics = {"throughput_msgs_per_s": summarize(msgs, "msgs/s", "higher"),
               "throughput_bytes_per_s": summarize(nbytes, "bytes/s", "higher", floor_bytes)}
    reps = [repetition(i, {"throughput_msgs_per_s": msgs[i], "throughput_bytes_per_s": nbytes[i]},
                       100000, size) for i in range(n)]
    return case(cid, "streaming", structure, variant, size, p, c, metrics, "throughput_msgs_per_s",
                reps, f"floor-cacheline/{PLACEMENT}", oversubscribed=p + c > 2 * 2)


def floor_cases(n):
    cl = latency_case(f"floor-cacheline/{PLACEMENT}", "floor-cacheline", None, None, 64, 180.0, n,
                      1.0, None, None)
    del cl["metrics"]["throughput_msgs_per_s"]
    shm_vals = [6.0e9 * f for f in spread(n, "shm")]
    shm = case(f"floor-shm-read/{PLACEMENT}", "floor-shm-read", None, None, 1 << 20, 1, 1,
               {"throughput_bytes_per_s": summarize(shm_vals, "bytes/s", "higher")},
               "throughput_bytes_per_s",
               [repetition(i, {"throughput_bytes_per_s": v}, 1, 1 << 20) for i, v in enumerate(shm_vals)],
               None)
    return [cl, shm], 180.0, 6.0e9


def streaming_cases(n, scale, floor_bytes):
    out = []
    for structure, variant, base in STREAMING_VARIANTS:
        for size in STREAMING_SIZES:
            out.append(throughput_case(f"streaming/{structure}/{variant}/{size}B/1p1c/{PLACEMENT}",
                                       structure, variant, size, 1, 1,
                                       base / (1 + size / 1024), n, scale, floor_bytes))
        for p, c in WORKERS[1:]:
            out.append(throughput_case(f"streaming/{structure}/{variant}/{WORKER_SIZE}B/{p}p{c}c/{PLACEMENT}",
                                       structure, variant, WORKER_SIZE, p, c,
                                       base / (1 + WORKER_SIZE / 1024) * 0.8 / p, n, scale, floor_bytes))
    return out


def failed_case(n):
    cid = f"streaming/queue/lcrq/65536B/1p1c/{PLACEMENT}"
    reps = [repetition(i, {}, 0, 65536, status="failed",
                       error="worker consumer#0 (pid 123, PU 1) killed by SIGKILL") for i in range(n)]
    return case(cid, "streaming", "queue", "lcrq", 65536, 1, 1, {}, "throughput_msgs_per_s", reps,
                f"floor-cacheline/{PLACEMENT}", status="failed",
                error="worker consumer#0 (pid 123, PU 1) killed by SIGKILL")


TRANSPORTS = [("zeroipc_vyukov_bounded", 400.0), ("pipe", 11000.0), ("unix_stream", 13600.0),
              ("redis_unix", 54000.0)]


FUTEX_ROUND_TRIP = 15000.0


def futex_floor_case(n):
    """The floor-futex probe ([floor] futex = true): a FUTEX_WAIT/FUTEX_WAKE round trip."""
    c = latency_case(f"floor-futex/{PLACEMENT}", "floor-futex", None, None, 4, FUTEX_ROUND_TRIP, n, 1.0, None,
                     None)
    del c["metrics"]["throughput_msgs_per_s"]
    return c


FANOUT_SIZES = [8, 64]
FANOUT_SUBSCRIBERS = [1, 2, 4]


def fanout_cases(n, floor_bytes):
    """Stream fan-out cases (experiments/codata.toml): one producer, 1, 2 and 4 subscribers."""
    out = []
    for size in FANOUT_SIZES:
        for subs in FANOUT_SUBSCRIBERS:
            c = throughput_case(f"fanout/stream/block/{size}B/1p{subs}c/{PLACEMENT}", "stream", "block", size, 1,
                                subs, 6.0e6 / subs / (1 + size / 256), n, 1.0, floor_bytes)
            c["workload"] = "fanout"
            c["oversubscribed"] = 1 + subs > 2
            out.append(c)
    return out


def transport_cases(n, floor_rt):
    """Ping-pong cases of transports (structure "transport"), as experiments/ipc-baselines.toml makes."""
    out = []
    best = dict(TRANSPORTS)["zeroipc_vyukov_bounded"]
    for size in PINGPONG_SIZES:
        for name, base in TRANSPORTS:
            cid = f"pingpong/transport/{name}/{size}B/1p1c/{PLACEMENT}"
            c = latency_case(cid, "pingpong", "transport", name, size, base * (1 + size / 2048), n, 1.0,
                             floor_rt, f"floor-cacheline/{PLACEMENT}")
            m = c["metrics"]["round_trip_ns_p50"]
            zr_median = best * (1 + size / 2048) * float(np.median(spread(n, cid.replace(name, "zeroipc_vyukov_bounded"))))
            m["best_zeroipc"] = zr_median
            m["best_zeroipc_ratio"] = m["median"] / zr_median
            c["best_zeroipc_case"] = f"pingpong/transport/zeroipc_vyukov_bounded/{size}B/1p1c/{PLACEMENT}"
            out.append(c)
    return out


def build_results(n=7, streaming=True, failed=True, latency_scale=1.0, throughput_scale=1.0, transports=False,
                  fanout=False):
    """A whole results.json document (see the module docstring)."""
    floors, floor_rt, floor_bytes = floor_cases(n)
    cases = list(floors)
    for structure, variant, base in PINGPONG_VARIANTS:
        for size in PINGPONG_SIZES:
            cid = f"pingpong/{structure}/{variant}/{size}B/1p1c/{PLACEMENT}"
            cases.append(latency_case(cid, "pingpong", structure, variant, size,
                                      base * (1 + size / 2048), n, latency_scale, floor_rt,
                                      f"floor-cacheline/{PLACEMENT}",
                                      null_p999=(variant == "locked_ring" and size == 256)))
    if streaming:
        cases += streaming_cases(n, throughput_scale, floor_bytes)
    if failed:
        cases.append(failed_case(n))
    if transports:
        cases += transport_cases(n, floor_rt)
        cases.append(futex_floor_case(n))
    if fanout:
        cases += fanout_cases(n, floor_bytes)
    return {
        "schema": "zeroipc-results/1",
        "experiment": {"name": "synthetic", "file": "experiments/synthetic.toml", "overrides": [],
                       "config": {}},
        "context": {"timestamp": "2026-11-23T10:00:00Z", "hostname": "testhost",
                    "kernel": "6.1.0", "cpu_model": "Synthetic CPU @ 2.10GHz", "online_cpus": 2,
                    "cpufreq_governor": "performance", "load_average": [0.1, 0.2, 0.3],
                    "build_type": "Release", "compiler": "GNU 12.2.0", "sanitizer": "none",
                    "git_commit": "abc1234", "git_dirty": True, "topology": "1 package, 2 cores",
                    "counters": "unavailable", "clock": {}, "placements": []},
        "plan": {"cases": len(cases), "repetitions": n, "runs": len(cases) * n, "seed": 1,
                 "skipped": [], "notes": []},
        "status": "complete",
        "elapsed_s": 1.0,
        "cases": cases,
    }


def write_results(folder, doc):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(doc, indent=1))
    return folder


@pytest.fixture
def make_run(tmp_path):
    """make_run(name, **build_results options) -> a results folder under tmp_path."""
    def make(name, **options):
        return write_results(tmp_path / name, build_results(**options))
    return make
