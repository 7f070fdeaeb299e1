#!/usr/bin/python3
"""Compare two zeroipc results runs, case by case.

Usage: scripts/compare.py RUN_A RUN_B [--alpha 0.05] [--threshold 0.05] [--all]
                          [--resamples 10000] [--seed 20261123]

RUN_A and RUN_B are results folders (results/<date>-<name>-<commit>/) or results.json files
(schema zeroipc-results/1, see results/README.md). For every case id present in both runs with
status "ok", and for its primary_metric (every metric both have with --all), it prints:
  ratio B/A    median of B's repetition values / median of A's
  CI           percentile bootstrap interval of that ratio at level 1 - alpha (A and B resampled
               independently with replacement, --resamples times, fixed --seed: reproducible)
  p            two-sided Mann-Whitney U test of A's vs B's repetition values (exact permutation
               distribution while n_A + n_B <= 100 and C(n, n_A) < 2^62, ties included;
               else normal approximation with tie and continuity corrections)
  verdict      "regressed": p < alpha and the ratio is worse than 1 +- threshold in the metric's
               worse direction (better = lower: ratio > 1 + threshold; higher: ratio < 1 - threshold);
               "improved": the same in the better direction; "same" otherwise;
               "n/a": a run has no values for the metric.
Then the cases found in only one run and those not ok in one of them.

Exit status: 1 when any case regressed, 0 otherwise, 2 on bad input (missing file, not JSON,
wrong schema).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zeroipc_results as zr  # noqa: E402

EXIT_REGRESSED = 1
EXIT_BAD_INPUT = 2


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_a", metavar="RUN_A", help="results folder or results.json (the baseline)")
    p.add_argument("run_b", metavar="RUN_B", help="results folder or results.json (the candidate)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--threshold", type=float, default=0.05,
                   help="smallest relative change called a difference (default 0.05 = 5%%)")
    p.add_argument("--all", action="store_true", help="compare every metric, not only the primary one")
    p.add_argument("--resamples", type=int, default=10000, help="bootstrap resamples (default 10000)")
    p.add_argument("--seed", type=int, default=20261123, help="bootstrap seed (default 20261123)")
    args = p.parse_args(argv)
    if not 0 < args.alpha < 1:
        p.error(f"--alpha: expected a number between 0 and 1, found {args.alpha}")
    if args.threshold < 0:
        p.error(f"--threshold: expected a number >= 0, found {args.threshold}")
    if args.resamples < 1:
        p.error(f"--resamples: expected a number >= 1, found {args.resamples}")
    return args


# ---------------------------------------------------------------- one comparison


def verdict(ratio, p, better, alpha, threshold):
    """regressed | improved | same, from the ratio B/A, the p-value and the metric's direction."""
    if ratio is None or p >= alpha:
        return "same"
    if better == "higher":
        worse, improved = ratio < 1 - threshold, ratio > 1 + threshold
    else:
        worse, improved = ratio > 1 + threshold, ratio < 1 - threshold
    return "regressed" if worse else "improved" if improved else "same"


def compare_metric(case_a, case_b, name, args):
    """One row of the table, as a dict."""
    a, b = zr.metric_values(case_a, name), zr.metric_values(case_b, name)
    m = zr.metric(case_a, name) or zr.metric(case_b, name) or {}
    row = {"case": case_a["id"], "metric": name, "unit": m.get("unit", ""),
           "better": m.get("better") or "lower", "n_a": len(a), "n_b": len(b),
           "median_a": None, "median_b": None, "ratio": None, "ci": None, "p": None,
           "method": "", "verdict": "n/a"}
    if not a or not b:
        return row
    row["median_a"], row["median_b"] = _median(a), _median(b)
    if row["median_a"] != 0:
        row["ratio"] = row["median_b"] / row["median_a"]
        row["ci"] = zr.bootstrap_ratio_ci(a, b, 1 - args.alpha, args.resamples, args.seed)
    test = zr.mann_whitney_u(a, b)
    row["p"], row["method"] = test.p, test.method
    row["verdict"] = verdict(row["ratio"], test.p, row["better"], args.alpha, args.threshold)
    return row


def _median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def metric_names(case_a, case_b, every):
    """The metrics to compare: the primary one (A's, else B's), or all both runs have."""
    if every:
        names_b = set(case_b.get("metrics") or {})
        return [n for n in case_a.get("metrics") or {} if n in names_b]
    primary = case_a.get("primary_metric") or case_b.get("primary_metric")
    return [primary] if primary else []


# ---------------------------------------------------------------- output


def fmt_num(x):
    if x is None:
        return "-"
    return f"{x:.4g}"


def fmt_row(row):
    ci = row["ci"]
    return [row["verdict"],
            "-" if row["ratio"] is None else f"{row['ratio']:.3f}",
            "-" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]",
            "-" if row["p"] is None else f"{row['p']:.3g}",
            f"{row['n_a']}/{row['n_b']}",
            fmt_num(row["median_a"]), fmt_num(row["median_b"]),
            f"{row['unit']} ({row['better']})" if row["unit"] else row["better"],
            row["metric"], row["case"]]


HEADER = ["verdict", "B/A", "CI", "p", "nA/nB", "median A", "median B", "unit (better)",
          "metric", "case"]


def print_table(rows, level):
    header = list(HEADER)
    header[2] = f"{level:.0%} CI"
    cells = [header] + [fmt_row(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())


def describe(doc, source):
    exp = (doc.get("experiment") or {}).get("name", "?")
    return f"{source}: experiment {exp}, {zr.caption(doc)}, status {doc.get('status', '?')}"


def print_unmatched(doc_a, doc_b):
    ids_a, ids_b = zr.cases_by_id(doc_a), zr.cases_by_id(doc_b)
    only_a = [i for i in ids_a if i not in ids_b]
    only_b = [i for i in ids_b if i not in ids_a]
    for label, ids in (("only in A", only_a), ("only in B", only_b)):
        if ids:
            print(f"\n{label} ({len(ids)}):")
            for i in ids:
                print(f"  {i}")
    not_ok = [(i, ids_a[i].get("status"), ids_b[i].get("status")) for i in ids_a
              if i in ids_b and not (zr.is_ok(ids_a[i]) and zr.is_ok(ids_b[i]))]
    if not_ok:
        print(f"\nnot compared, not ok in a run ({len(not_ok)}):")
        for i, sa, sb in not_ok:
            print(f"  {i}: A {sa}, B {sb}")


def small_sample_note(rows, alpha):
    """A warning when the sample sizes cannot reach p < alpha at all."""
    sizes = {(r["n_a"], r["n_b"]) for r in rows if r["n_a"] and r["n_b"]}
    hopeless = sorted(s for s in sizes if zr.smallest_p(*s) >= alpha)
    if hopeless:
        listed = ", ".join(f"{a} vs {b}" for a, b in hopeless)
        print(f"note: with {listed} repetitions the smallest possible two-sided p is "
              f"{min(zr.smallest_p(*s) for s in hopeless):.3g} >= alpha {alpha}: "
              "those rows can only say \"same\"; run more repetitions")


# ---------------------------------------------------------------- main


def compare(doc_a, doc_b, args):
    by_b = zr.cases_by_id(doc_b)
    rows = []
    for case_a in doc_a["cases"]:
        case_b = by_b.get(case_a["id"])
        if case_b is None or not (zr.is_ok(case_a) and zr.is_ok(case_b)):
            continue
        for name in metric_names(case_a, case_b, args.all):
            rows.append(compare_metric(case_a, case_b, name, args))
    return rows


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    docs = []
    for label, path in (("RUN_A", args.run_a), ("RUN_B", args.run_b)):
        try:
            docs.append(zr.load_results(path))
        except zr.ResultsError as e:
            print(f"compare.py: {label}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    doc_a, doc_b = docs
    print(describe(doc_a, "A"))
    print(describe(doc_b, "B"))
    print(f"verdict: p < {args.alpha} (Mann-Whitney U, two-sided) and B/A beyond "
          f"1 +- {args.threshold} in the metric's worse/better direction\n")
    rows = compare(doc_a, doc_b, args)
    if rows:
        print_table(rows, 1 - args.alpha)
    else:
        print("no case is ok in both runs")
    print_unmatched(doc_a, doc_b)
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("regressed", "improved", "same", "n/a")}
    print("\n" + ", ".join(f"{n} {v}" for v, n in counts.items() if n or v != "n/a")
          + f" ({len(rows)} compared)")
    small_sample_note(rows, args.alpha)
    return EXIT_REGRESSED if counts["regressed"] else 0


if __name__ == "__main__":
    sys.exit(main())
