"""Reading zeroipc results folders, and the statistics scripts/plot.py and scripts/compare.py share.

The schema (`zeroipc-results/1`) is described in results/README.md. This module only reads:
  load_results(path)          a results folder or results.json -> the document, validated
  is_ok(case), metric_summary(case, name), metric_values(case, name), floor_of(...)
  merge_histograms(hists), cdf(buckets)      the repetitions' sparse histograms
  mann_whitney_u(a, b)        two-sided Mann-Whitney U test (exact for small samples)
  bootstrap_ratio_ci(a, b)    percentile bootstrap interval of median(b) / median(a)
Everything raises ResultsError with a message naming what was expected and what was found.
"""

import json
import math
from collections import namedtuple
from pathlib import Path

import numpy as np

SCHEMA = "zeroipc-results/1"
# A floor probe's workload name begins with "floor-" (harness/include/zeroipc/harness/workload.h;
# a harness test checks it), so a new probe is known here without a list.
FLOOR_PREFIX = "floor-"
RESULTS_FILE = "results.json"


class ResultsError(Exception):
    """A results folder or file that cannot be used; the message says why."""


# ---------------------------------------------------------------- loading


def results_file(path):
    """The results.json of `path` (a results folder or the file itself)."""
    p = Path(path)
    if p.is_dir():
        f = p / RESULTS_FILE
        if not f.is_file():
            raise ResultsError(f"expected {f} (a results folder holds results.json), found no such file")
        return f
    if p.is_file():
        return p
    raise ResultsError(
        f"expected a results folder or a results.json file, found nothing at {p}")


def load_results(path):
    """The validated results document of `path` (folder or results.json)."""
    f = results_file(path)
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError(f"{f}: cannot be read ({e})") from e
    except json.JSONDecodeError as e:
        raise ResultsError(f"{f}: expected JSON, found a syntax error ({e})") from e
    validate(doc, str(f))
    return doc


def _kind(value):
    """A JSON-ish name of value's type, for messages."""
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def validate(doc, source="results.json"):
    """Checks the parts of the schema the scripts rely on; raises ResultsError otherwise."""
    if not isinstance(doc, dict):
        raise ResultsError(f"{source}: expected a JSON object, found {_kind(doc)}")
    schema = doc.get("schema")
    if schema != SCHEMA:
        found = "no 'schema' field" if "schema" not in doc else f"schema {schema!r}"
        raise ResultsError(f"{source}: expected schema {SCHEMA!r}, found {found}")
    cases = doc.get("cases")
    if not isinstance(cases, list):
        raise ResultsError(f"{source}: expected 'cases' to be a list, found {_kind(cases)}")
    seen = set()
    for i, case in enumerate(cases):
        if not isinstance(case, dict):
            raise ResultsError(f"{source}: expected cases[{i}] to be an object, found {_kind(case)}")
        cid = case.get("id")
        if not isinstance(cid, str) or not cid:
            raise ResultsError(f"{source}: expected cases[{i}].id to be a non-empty string, "
                               f"found {_kind(cid)}")
        if cid in seen:
            raise ResultsError(f"{source}: expected unique case ids, found {cid!r} twice")
        seen.add(cid)
        metrics = case.get("metrics")
        if metrics is not None and not isinstance(metrics, dict):
            raise ResultsError(f"{source}: expected {cid}.metrics to be an object, found {_kind(metrics)}")
    if doc.get("context") is not None and not isinstance(doc["context"], dict):
        raise ResultsError(f"{source}: expected 'context' to be an object, found {_kind(doc['context'])}")


# ---------------------------------------------------------------- cases and metrics


def cases_by_id(doc):
    return {c["id"]: c for c in doc["cases"]}


def is_floor(case):
    """True for a floor probe's case (cache line, memcpy, shared-memory read, futex, ...)."""
    workload = case.get("workload")
    return isinstance(workload, str) and workload.startswith(FLOOR_PREFIX)


def is_ok(case):
    """True for a case that finished all its repetitions and has metrics."""
    return case.get("status") == "ok" and isinstance(case.get("metrics"), dict) and bool(case["metrics"])


def _number(x):
    """x as a finite float, or None (null, missing, non-numeric, NaN)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


Summary = namedtuple("Summary", "median low high unit better")


def metric(case, name):
    """The Metric object `name` of case, or None."""
    m = (case.get("metrics") or {}).get(name)
    return m if isinstance(m, dict) else None


def metric_summary(case, name):
    """Summary(median, ci_low, ci_high, unit, better) of a metric with a median, else None.

    A missing ci bound is replaced by the median (no error bar rather than a wrong one)."""
    m = metric(case, name)
    if m is None:
        return None
    med = _number(m.get("median"))
    if med is None:
        return None
    lo, hi = _number(m.get("ci_low")), _number(m.get("ci_high"))
    return Summary(med, med if lo is None else min(lo, med), med if hi is None else max(hi, med),
                   m.get("unit", ""), m.get("better"))


def metric_values(case, name):
    """The per-repetition values of a metric (nulls dropped), as floats."""
    m = metric(case, name)
    if m is None or not isinstance(m.get("values"), list):
        return []
    return [v for v in (_number(x) for x in m["values"]) if v is not None]


def floor_of(by_id, case, name="round_trip_ns_p50", key="floor_case"):
    """The floor of `case` for a metric: the median of `name` in the probe the case names in
    `key` ("floor_case"; the harness also writes "bandwidth_floor_case" for the shm-read probe),
    else the metric's own "floor" field; None when neither exists."""
    probe = by_id.get(case.get(key) or "")
    if probe is not None and is_ok(probe):
        s = metric_summary(probe, name)
        if s is not None:
            return s.median
    m = metric(case, name)
    return _number(m.get("floor")) if m else None


# ---------------------------------------------------------------- histograms


def case_histograms(case, name):
    """The histograms `name` (e.g. "round_trip_ns") of the case's repetitions with status ok."""
    hists = []
    for rep in case.get("repetitions") or []:
        if not isinstance(rep, dict) or rep.get("status", "ok") != "ok":
            continue
        h = (rep.get("histograms") or {}).get(name)
        if isinstance(h, dict) and isinstance(h.get("buckets"), list):
            hists.append(h)
    return hists


def merge_histograms(hists):
    """Sums the counts of equal bucket values over sparse histograms.

    hists: histogram objects ({"buckets": [[lowest value, count], ...]}) or bare bucket lists.
    Returns [(value, count), ...] sorted by value, without empty buckets."""
    total = {}
    for h in hists:
        buckets = h.get("buckets", []) if isinstance(h, dict) else h
        for pair in buckets:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ResultsError(f"expected a histogram bucket [lowest value, count], found {pair!r}")
            value, count = _number(pair[0]), _number(pair[1])
            if value is None or count is None or count < 0:
                raise ResultsError(f"expected a histogram bucket [lowest value, count], found {pair!r}")
            total[value] = total.get(value, 0) + count
    return sorted((v, c) for v, c in total.items() if c > 0)


def cdf(buckets):
    """(x, y): y[i] is the fraction of samples in buckets with lowest value <= x[i]."""
    if not buckets:
        return np.array([]), np.array([])
    x = np.array([b[0] for b in buckets], dtype=float)
    counts = np.array([b[1] for b in buckets], dtype=float)
    return x, np.cumsum(counts) / counts.sum()


# ---------------------------------------------------------------- statistics

MannWhitney = namedtuple("MannWhitney", "u p method")

# The exact distribution is counted with int64; C(n1 + n2, n1) must stay below this.
_EXACT_MAX_COMBINATIONS = 2 ** 62
_EXACT_MAX_N = 100


def _doubled_midranks(values):
    """2 x the midrank of each value (integers, ties share the average rank)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + 1) + (j + 1)  # 2 x mean of ranks i+1 .. j+1
        i = j + 1
    return ranks


def _exact_rank_sum_counts(ranks, k):
    """counts[s]: the number of k-subsets of `ranks` (integers >= 1) whose sum is s."""
    total = sum(ranks)
    dp = np.zeros((k + 1, total + 1), dtype=np.int64)
    dp[0, 0] = 1
    for r in ranks:
        dp[1:, r:] += dp[:-1, :total + 1 - r].copy()
    return dp[k]


def mann_whitney_u(a, b):
    """Two-sided Mann-Whitney U test of samples a and b.

    Returns MannWhitney(u, p, method); u is a's statistic (the number of pairs with a > b,
    ties counting 1/2). method "exact": the exact permutation distribution of the rank sum
    (with ties: of the midranks, i.e. the exact conditional test), used while
    n1 + n2 <= 100 and C(n1 + n2, n1) < 2^62 (e.g. up to 30 + 30); p = 2 min(P(S <= s),
    P(S >= s)), at most 1. Otherwise "normal": normal approximation with tie correction of
    the variance and continuity correction of 1/2."""
    a = [float(x) for x in a]
    b = [float(x) for x in b]
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("mann_whitney_u needs two non-empty samples")
    ranks = _doubled_midranks(a + b)
    s_a = sum(ranks[:n1])                      # 2 x rank sum of a
    u = s_a / 2 - n1 * (n1 + 1) / 2
    n = n1 + n2
    if n <= _EXACT_MAX_N and math.comb(n, n1) < _EXACT_MAX_COMBINATIONS:
        return MannWhitney(u, _exact_p(ranks, n1, s_a), "exact")
    return MannWhitney(u, _normal_p(ranks, n1, n2, u), "normal")


def _exact_p(ranks, n1, s_a):
    counts = _exact_rank_sum_counts(ranks, n1)
    total = int(counts.sum())
    below = int(counts[:s_a + 1].sum())
    above = int(counts[s_a:].sum())
    return min(1.0, 2 * min(below, above) / total)


def _normal_p(ranks, n1, n2, u):
    n = n1 + n2
    ties = {}
    for r in ranks:
        ties[r] = ties.get(r, 0) + 1
    tie_term = sum(t ** 3 - t for t in ties.values()) / (n * (n - 1))
    var = n1 * n2 / 12 * ((n + 1) - tie_term)
    if var <= 0:
        return 1.0
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return min(1.0, math.erfc(z / math.sqrt(2)))


def smallest_p(n1, n2):
    """The smallest two-sided p the exact test can give for samples of n1 and n2 (no ties)."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def bootstrap_ratio_ci(a, b, level=0.95, resamples=10000, seed=20261123):
    """Percentile bootstrap interval of median(b) / median(a).

    a and b are resampled independently with replacement, `resamples` times, from a
    generator seeded with `seed` (the same inputs give the same interval). Returns
    (low, high), or None when no resample has a finite ratio (e.g. a's values all 0)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return None
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, a.size, (resamples, a.size))], axis=1)
    mb = np.median(b[rng.integers(0, b.size, (resamples, b.size))], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = mb / ma
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return None
    tail = (1 - level) / 2
    low, high = np.quantile(ratios, [tail, 1 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------- context


def caption(doc):
    """"<cpu_model>, <hostname>, commit <git_commit>[+dirty], <timestamp>, <build_type>"."""
    ctx = doc.get("context") or {}

    def field(key):
        v = ctx.get(key)
        return str(v) if v not in (None, "") else f"{key} unknown"

    commit = field("git_commit")
    if ctx.get("git_dirty"):
        commit += "+dirty"
    return ", ".join([field("cpu_model"), field("hostname"), f"commit {commit}",
                      field("timestamp"), field("build_type")])
