"""Tests of scripts/plot.py, scripts/compare.py and scripts/zeroipc_results.py on synthetic
results folders (conftest.py builds them)."""

import itertools
import json

import numpy as np
import pytest

import zeroipc_results as zr
from conftest import build_results, run_script, write_results

FIGURES = ["latency_percentiles", "latency_cdf", "throughput_vs_size", "throughput_vs_workers"]


# ---------------------------------------------------------------- plot.py


def test_plot_writes_every_figure(make_run):
    run = make_run("full")
    r = run_script("plot.py", run)
    assert r.returncode == 0, r.stderr
    for name in FIGURES:
        for ext in ("png", "pdf"):
            f = run / "plots" / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000, f
        assert f"wrote {run / 'plots' / name}.png and .pdf" in r.stdout
    skipped = [line for line in r.stdout.splitlines() if line.startswith("skipped")]
    assert [line.split(":")[0] for line in skipped] == [
        "skipped transport_latency", "skipped fanout_vs_subscribers", "skipped map_throughput",
        "skipped pool_throughput", "skipped ring_bandwidth", "skipped transport_tables.md",
        "skipped structures_table.md"]


def test_plot_transport_run_draws_the_transport_figure_and_tables(tmp_path):
    run = write_results(tmp_path / "transports", build_results(transports=True))
    r = run_script("plot.py", run)
    assert r.returncode == 0, r.stderr
    assert f"wrote {run / 'plots' / 'transport_latency'}.png and .pdf" in r.stdout
    assert (run / "plots" / "transport_latency.png").stat().st_size > 10000
    tables = (run / "plots" / "transport_tables.md").read_text()
    section = tables.split("## pingpong, 8 B")[1].split("##")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "transport |" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["zeroipc_vyukov_bounded", "pipe", "unix_stream", "redis_unix"]
    unix = next(row for row in rows if "| unix_stream |" in row)
    assert "| 1.00x |" in unix                       # the reference is 1x itself
    pipe = next(row for row in rows if "| pipe |" in row)
    assert float(pipe.split("|")[3].strip().rstrip("x")) > 1.0  # a pipe is faster than the Unix socket here
    # The run has floor-futex: each round trip over the futex wake round trip, from the run's medians.
    assert "| x futex floor |" in section
    doc = json.loads((run / "results.json").read_text())
    by_id = {c["id"]: c for c in doc["cases"]}
    futex = by_id["floor-futex/different-cores"]["metrics"]["round_trip_ns_p50"]["median"]
    pipe_rt = by_id["pingpong/transport/pipe/8B/1p1c/different-cores"]["metrics"]["round_trip_ns_p50"]["median"]
    assert pipe.split("|")[6].strip() == f"{pipe_rt / futex:.2f}x"


def test_plot_fanout_run_draws_subscribers_figure(tmp_path):
    run = write_results(tmp_path / "fanout", build_results(streaming=False, failed=False, fanout=True))
    r = run_script("plot.py", run)
    assert r.returncode == 0, r.stderr
    assert f"wrote {run / 'plots' / 'fanout_vs_subscribers'}.png and .pdf" in r.stdout
    assert (run / "plots" / "fanout_vs_subscribers.png").stat().st_size > 10000
    one = build_results(streaming=False, failed=False, fanout=True)
    one["cases"] = [c for c in one["cases"] if c["workload"] != "fanout" or c["consumers"] == 1]
    r = run_script("plot.py", write_results(tmp_path / "one", one))
    assert "skipped fanout_vs_subscribers: only one subscriber count (1)" in r.stdout, r.stdout


def test_plot_only_pingpong_skips_throughput(make_run, tmp_path):
    run = make_run("pingpong", streaming=False, failed=False)
    out = tmp_path / "figures"
    r = run_script("plot.py", run, "--out", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.{e}" for n in ("latency_percentiles", "latency_cdf") for e in ("png", "pdf"))
    assert "skipped throughput_vs_size:" in r.stdout
    assert "skipped throughput_vs_workers:" in r.stdout
    assert not (run / "plots").exists()


def test_plot_one_worker_combination_skips_workers_figure(tmp_path):
    doc = build_results()
    doc["cases"] = [c for c in doc["cases"] if (c.get("producers"), c.get("consumers")) == (1, 1)]
    run = write_results(tmp_path / "one-combo", doc)
    r = run_script("plot.py", run)
    assert r.returncode == 0, r.stderr
    assert "skipped throughput_vs_workers: only one producer/consumer combination (1p1c)" in r.stdout
    assert (run / "plots" / "throughput_vs_size.png").is_file()


def test_plot_survives_cases_without_metrics(tmp_path):
    doc = build_results()
    for c in doc["cases"]:
        if c["workload"] == "pingpong":
            c["status"], c["metrics"], c["repetitions"] = "interrupted", None, []
    run = write_results(tmp_path / "broken", doc)
    r = run_script("plot.py", run)
    assert r.returncode == 0, r.stderr
    assert "skipped latency_percentiles:" in r.stdout
    assert "skipped latency_cdf:" in r.stdout
    assert (run / "plots" / "throughput_vs_workers.pdf").is_file()


def test_plot_bad_input_exits_2(tmp_path):
    r = run_script("plot.py", tmp_path / "nothing-here")
    assert r.returncode == 2
    assert "expected a results folder" in r.stderr


# ---------------------------------------------------------------- compare.py


def verdicts(stdout):
    """{case id: verdict} from compare.py's table."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in ("regressed", "improved", "same", "n/a"):
            out[parts[-1]] = parts[0]
    return out


def test_compare_identical_runs_same(make_run):
    a = make_run("a")
    r = run_script("compare.py", a, a / "results.json")
    assert r.returncode == 0, r.stdout + r.stderr
    v = verdicts(r.stdout)
    ok_cases = [c["id"] for c in build_results()["cases"] if c["status"] == "ok"]
    assert sorted(v) == sorted(ok_cases)
    assert set(v.values()) == {"same"}
    assert "0 regressed, 0 improved" in r.stdout
    assert "not compared, not ok in a run (1)" in r.stdout


def test_compare_latency_doubled_regressed(make_run):
    a, b = make_run("a"), make_run("b", latency_scale=2.0)
    r = run_script("compare.py", a, b)
    assert r.returncode == 1, r.stdout + r.stderr
    v = verdicts(r.stdout)
    pingpong = [k for k in v if k.startswith("pingpong/")]
    assert pingpong and all(v[k] == "regressed" for k in pingpong)
    assert all(v[k] == "same" for k in v if not k.startswith("pingpong/"))
    row = next(line for line in r.stdout.splitlines() if line.endswith(pingpong[0]))
    assert "2.000" in row and "0.000583" in row  # ratio, exact p = 2 / C(14, 7)


def test_compare_throughput_halved_regressed(make_run):
    a, b = make_run("a"), make_run("b", throughput_scale=0.5)
    r = run_script("compare.py", a, b)
    assert r.returncode == 1, r.stdout + r.stderr
    v = verdicts(r.stdout)
    streaming = [k for k in v if k.startswith("streaming/")]
    assert streaming and all(v[k] == "regressed" for k in streaming)


def test_compare_reverse_improved(make_run):
    a, b = make_run("a", latency_scale=2.0, throughput_scale=0.5), make_run("b")
    r = run_script("compare.py", a, b)
    assert r.returncode == 0, r.stdout + r.stderr
    v = verdicts(r.stdout)
    assert {v[k] for k in v if not k.startswith("floor")} == {"improved"}
    assert "0 regressed" in r.stdout


def test_compare_small_change_is_same(make_run):
    a, b = make_run("a"), make_run("b", latency_scale=1.03)  # under the 5 % threshold
    r = run_script("compare.py", a, b)
    assert r.returncode == 0, r.stdout + r.stderr
    assert set(verdicts(r.stdout).values()) == {"same"}


def test_compare_all_metrics_and_unmeasured(make_run):
    a = make_run("a")
    r = run_script("compare.py", a, a, "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if "round_trip_ns_p999" in line]
    assert any(line.startswith("n/a") and "locked_ring/256B" in line for line in lines)
    assert any("throughput_bytes_per_s" in line for line in r.stdout.splitlines())


def test_compare_only_in_one_run(tmp_path):
    doc_b = build_results()
    dropped = doc_b["cases"].pop(3)["id"]
    a, b = write_results(tmp_path / "a", build_results()), write_results(tmp_path / "b", doc_b)
    r = run_script("compare.py", a, b)
    assert r.returncode == 0
    assert f"only in A (1):\n  {dropped}" in r.stdout


def test_compare_missing_folder_exits_2(make_run, tmp_path):
    a = make_run("a")
    r = run_script("compare.py", a, tmp_path / "missing")
    assert r.returncode == 2
    assert "RUN_B" in r.stderr and "expected a results folder or a results.json file" in r.stderr
    assert str(tmp_path / "missing") in r.stderr


def test_compare_folder_without_results_exits_2(make_run, tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_script("compare.py", tmp_path / "empty", make_run("b"))
    assert r.returncode == 2
    assert "RUN_A" in r.stderr and "results.json" in r.stderr


def test_compare_wrong_schema_exits_2(make_run, tmp_path):
    doc = build_results()
    doc["schema"] = "zeroipc-results/0"
    bad = write_results(tmp_path / "old", doc)
    r = run_script("compare.py", make_run("a"), bad)
    assert r.returncode == 2
    assert "expected schema 'zeroipc-results/1', found schema 'zeroipc-results/0'" in r.stderr


def test_compare_not_json_exits_2(make_run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run_script("compare.py", bad, make_run("b"))
    assert r.returncode == 2
    assert "expected JSON" in r.stderr


def test_compare_few_repetitions_note(make_run):
    a, b = make_run("a", n=3), make_run("b", n=3, latency_scale=2.0)
    r = run_script("compare.py", a, b)
    assert r.returncode == 0  # 3 vs 3 cannot reach p < 0.05
    assert "smallest possible two-sided p is 0.1" in r.stdout


# ---------------------------------------------------------------- zeroipc_results


def test_mann_whitney_separated_5_5():
    t = zr.mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert t.method == "exact"
    assert t.u == 0
    assert t.p == pytest.approx(2 / 252)
    assert zr.mann_whitney_u([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p == pytest.approx(2 / 252)


def test_mann_whitney_identical_samples():
    assert zr.mann_whitney_u([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]).p == 1.0
    assert zr.mann_whitney_u([7, 7, 7], [7, 7, 7, 7]).p == 1.0


def test_mann_whitney_known_values():
    assert zr.mann_whitney_u([1, 2, 3], [4, 5, 6]).p == pytest.approx(0.1)
    # one overlap: U = 1 of 25, P(U <= 1) = 2 / 252
    assert zr.mann_whitney_u([1, 2, 3, 4, 6], [5, 7, 8, 9, 10]).p == pytest.approx(4 / 252)


def brute_force_p(a, b):
    """Two-sided permutation p-value of the rank sum, by enumerating every split."""
    pooled = list(a) + list(b)
    ranks = zr._doubled_midranks(pooled)
    observed = sum(ranks[:len(a)])
    sums = [sum(ranks[i] for i in idx) for idx in itertools.combinations(range(len(pooled)), len(a))]
    below = sum(s <= observed for s in sums)
    above = sum(s >= observed for s in sums)
    return min(1.0, 2 * min(below, above) / len(sums))


@pytest.mark.parametrize("a,b", [([1, 2, 2, 3, 5], [2, 4, 4, 6]),
                                 ([10, 10, 11], [10, 12, 12, 13, 13]),
                                 ([3.5, 1.25, 9, 2], [4, 4, 8, 1.25, 7, 6])])
def test_mann_whitney_exact_with_ties_matches_enumeration(a, b):
    t = zr.mann_whitney_u(a, b)
    assert t.method == "exact"
    assert t.p == pytest.approx(brute_force_p(a, b))


def test_mann_whitney_large_samples_normal():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 80), rng.normal(0, 1, 80)
    t = zr.mann_whitney_u(a, b)
    assert t.method == "normal"
    assert 0 < t.p <= 1
    separated = zr.mann_whitney_u(range(60), range(60, 120))
    assert separated.method == "normal" and separated.p < 1e-15


def test_mann_whitney_exact_and_normal_agree_roughly():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 25), rng.normal(0.6, 1, 25)
    exact = zr.mann_whitney_u(a, b).p
    u = zr.mann_whitney_u(a, b).u
    normal = zr._normal_p(zr._doubled_midranks(list(a) + list(b)), 25, 25, u)
    assert exact == pytest.approx(normal, rel=0.05)


def test_bootstrap_ratio_ci_is_reproducible_and_covers():
    a = [100, 102, 99, 101, 98, 103, 100]
    b = [2 * x for x in a]
    ci = zr.bootstrap_ratio_ci(a, b, 0.95, 2000, seed=5)
    assert ci == zr.bootstrap_ratio_ci(a, b, 0.95, 2000, seed=5)
    assert ci[0] <= 2.0 <= ci[1]
    assert zr.bootstrap_ratio_ci([0, 0], [1, 2]) is None


def test_merge_histograms_and_cdf():
    merged = zr.merge_histograms([{"buckets": [[700, 3], [701, 10]]},
                                  {"buckets": [[701, 5], [900, 1]]}, [[650, 0]]])
    assert merged == [(700, 3), (701, 15), (900, 1)]
    x, y = zr.cdf(merged)
    assert list(x) == [700, 701, 900]
    assert y == pytest.approx([3 / 19, 18 / 19, 1.0])
    assert [len(v) for v in zr.cdf([])] == [0, 0]


def test_merge_histograms_rejects_bad_bucket():
    with pytest.raises(zr.ResultsError, match="lowest value, count"):
        zr.merge_histograms([{"buckets": [[700]]}])


def test_case_histograms_skip_failed_repetitions():
    doc = build_results(n=4)
    case = next(c for c in doc["cases"] if c["workload"] == "pingpong")
    case["repetitions"][0]["status"] = "failed"
    hists = zr.case_histograms(case, "round_trip_ns")
    assert len(hists) == 3
    total = sum(c for _, c in zr.merge_histograms(hists))
    assert total == sum(h["count"] for h in hists)


def test_load_results_validation(tmp_path):
    run = write_results(tmp_path / "ok", build_results(n=3))
    doc = zr.load_results(run)
    assert doc["schema"] == zr.SCHEMA
    assert zr.load_results(run / "results.json")["cases"] == doc["cases"]
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(zr.ResultsError, match="expected a JSON object, found a list"):
        zr.load_results(tmp_path / "list.json")
    (tmp_path / "noschema.json").write_text(json.dumps({"cases": []}))
    with pytest.raises(zr.ResultsError, match="found no 'schema' field"):
        zr.load_results(tmp_path / "noschema.json")
    (tmp_path / "nocases.json").write_text(json.dumps({"schema": zr.SCHEMA}))
    with pytest.raises(zr.ResultsError, match="expected 'cases' to be a list, found null"):
        zr.load_results(tmp_path / "nocases.json")
    dup = build_results(n=3)
    dup["cases"].append(dup["cases"][0])
    with pytest.raises(zr.ResultsError, match="unique case ids"):
        zr.validate(dup)


def test_caption_and_floor():
    doc = build_results(n=3)
    assert zr.caption(doc) == ("Synthetic CPU @ 2.10GHz, testhost, commit abc1234+dirty, "
                               "2026-11-23T10:00:00Z, Release")
    by_id = zr.cases_by_id(doc)
    pingpong = next(c for c in doc["cases"] if c["workload"] == "pingpong")
    probe = by_id[pingpong["floor_case"]]
    assert zr.floor_of(by_id, pingpong) == probe["metrics"]["round_trip_ns_p50"]["median"]
    assert zr.metric_summary(pingpong, "no_such_metric") is None
    streaming = next(c for c in doc["cases"] if c["workload"] == "streaming")
    shm = by_id["floor-shm-read/different-cores"]["metrics"]["throughput_bytes_per_s"]["median"]
    assert zr.floor_of(by_id, streaming, "throughput_bytes_per_s", "bandwidth_floor_case") == shm
    del streaming["bandwidth_floor_case"]
    streaming["metrics"]["throughput_bytes_per_s"]["floor"] = 123.0
    assert zr.floor_of(by_id, streaming, "throughput_bytes_per_s", "bandwidth_floor_case") == 123.0
