#!/usr/bin/python3
"""Figures of one zeroipc results run.

Usage: scripts/plot.py RESULTS_DIR [--out DIR]

Reads RESULTS_DIR/results.json (schema zeroipc-results/1, see results/README.md; a results.json
path works too) and writes PNG and PDF files into RESULTS_DIR/plots/ (or DIR):
  latency_percentiles   pingpong cases: round trip p50/p90/p99/p99.9 per variant (bars: medians
                        over the repetitions, error bars: their confidence interval), log y, one
                        panel per message size / placement, the cache-line round-trip floor as a line
  latency_cdf           pingpong cases: CDF of the round trips of all repetitions (their
                        "round_trip_ns" histograms merged), log x, the floor as a vertical line
  throughput_vs_size    streaming cases with 1 producer and 1 consumer: msgs/s and bytes/s against
                        message size, one line per variant, log-log, the shm-read floor on bytes/s
  throughput_vs_workers streaming cases: msgs/s against producers x consumers ("1p1c", "2p2c"),
                        one line per variant, one panel per message size with several combinations
  transport_latency     pingpong cases of the transports (experiments/ipc-baselines.toml): round-trip
                        median per transport as bars on a log axis, fastest first, one panel per
                        message size, with the cache-line floor as the first bar (and, when the run
                        has floor-futex, the futex wake round trip: the floor of sleeping in the kernel)
  fanout_vs_subscribers fanout cases (zeroipc::Stream): messages emitted/s against the number of
                        subscriber processes, one line per variant and message size
  map_throughput        map cases (experiments/structures.toml): operations/s of all workers per
                        key-value store, one group of bars per mix and worker count, one panel per
                        value size / placement (log axis), and beside it the same as a ratio to
                        zeroipc's Map (zeroipc_locked_probe) of the same mix, workers and size
  pool_throughput       pool cases (experiments/structures.toml): cycles/s (acquire, write, pass,
                        check, release) against object size, one line per mode (handles through a
                        queue; copies of the messages through the same queue, the baseline), log-log,
                        and beside it handles / copies per size
  ring_bandwidth        ring cases: bytes/s delivered to each reader against message size, log-log,
                        with the run's memcpy and shared-memory read floors as lines, and beside it
                        the ratio to the memcpy floor per size (the 0.8 target as a line)
  structures_table.md   (a table) map ops/s per store, mix and workers; pool cycles/s per mode and
                        size; ring bytes/s per size with its ratios to the memcpy and shm-read floors
  transport_tables.md   (a table, not a figure) per message size: every transport's round trip and
                        streaming rate, its speed-up over the Unix socket (unix_stream), and how many
                        times the best zeroipc queue and the floor it is (and, for round trips when
                        the run has floor-futex, the futex wake round trip)
Transport cases are left out of latency_percentiles (transport_latency shows them).
A figure the data does not support is skipped. One line is printed per figure written or skipped.
Only cases with status "ok" are drawn; the others are named in a note under the figure. Every
figure carries the caption "<cpu_model>, <hostname>, commit <commit>[+dirty], <timestamp>, <build_type>".
Exit status 0, or 2 when the results cannot be read.
"""

import argparse
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zeroipc_results as zr  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogFormatterSciNotation, NullLocator  # noqa: E402

PERCENTILES = [("round_trip_ns_p50", "p50"), ("round_trip_ns_p90", "p90"),
               ("round_trip_ns_p99", "p99"), ("round_trip_ns_p999", "p99.9")]
FLOOR_LABEL = "floor: cache-line round trip"
PANEL_W, PANEL_H = 5.2, 3.6
MAX_COLS = 3
SERIES_STYLES = ["-", "--", "-.", ":"]         # of a series' placement, when there are several
FLOOR_STYLES = ["--", ":", "-.", (0, (6, 2, 1, 2))]


class Skip(Exception):
    """The data does not support a figure; the message says why."""


# ---------------------------------------------------------------- data


class Run:
    """The loaded results and what every figure needs from them."""

    def __init__(self, doc):
        self.doc = doc
        self.cases = doc["cases"]
        self.by_id = zr.cases_by_id(doc)
        self.caption = zr.caption(doc)
        self.many_structures = len({c.get("structure") for c in self.cases if not zr.is_floor(c)}) > 1
        labels = sorted({self.label(c) for c in self.cases if not zr.is_floor(c)})
        palette = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20").colors
        self.colors = {lab: palette[i % len(palette)] for i, lab in enumerate(labels)}

    def label(self, case):
        """The series name of a case: its variant, with the structure when there are several."""
        variant = case.get("variant") or case.get("workload", "?")
        return f"{case.get('structure')}/{variant}" if self.many_structures else variant

    def ok(self, workload, metric=None, where=lambda c: True):
        """The ok cases of a workload (with a median for `metric` if given) matching `where`."""
        return [c for c in self.cases if c.get("workload") == workload and zr.is_ok(c) and where(c)
                and (metric is None or zr.metric_summary(c, metric) is not None)]

    def not_drawn(self, workload):
        """Cases of a workload that are not ok, as 'id (status)'."""
        return [f"{c['id']} ({c.get('status', 'no status')})" for c in self.cases
                if c.get("workload") == workload and not zr.is_ok(c)]


def fmt_size(n):
    """Bytes as 8 B, 4 KiB, 1 MiB."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n:g} B"


def workers(case):
    return f"{case.get('producers')}p{case.get('consumers')}c"


def group(cases, key):
    """{key: [cases]} in sorted key order."""
    out = {}
    for c in cases:
        out.setdefault(key(c), []).append(c)
    return dict(sorted(out.items(), key=lambda kv: tuple(str(x) if x is None else x for x in kv[0])))


def panel_key(case):
    return (case.get("message_size") or 0, case.get("placement") or "", workers(case))


def panel_titles(keys):
    """Titles naming only the fields that differ between panels (all of them when one panel)."""
    varying = [len({k[i] for k in keys}) > 1 for i in range(3)] if len(keys) > 1 else [True] * 3
    titles = []
    for size, placement, w in keys:
        parts = [fmt_size(size), placement, w]
        titles.append(", ".join(p for p, v in zip(parts, varying) if v))
    return titles


# ---------------------------------------------------------------- figure frame


def new_figure(panels, width=PANEL_W, height=PANEL_H):
    cols = min(panels, MAX_COLS)
    rows = (panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols + 2.2, height * rows + 0.9),
                             layout="constrained", squeeze=False)
    axes = list(axes.flat)
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, axes[:panels]


def finish(fig, axes, run, title, not_drawn):
    """Title, one legend outside the panels on the right, caption (and note) at the bottom."""
    fig.suptitle(title, fontsize=13)
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    labels.sort(key=lambda lab: lab.startswith("floor"))  # floors after the series
    if labels:
        cols = min(len(axes), MAX_COLS)
        axes[cols - 1].legend([handles[lab] for lab in labels], labels, loc="upper left",
                              bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=9)
    text = run.caption
    if not_drawn:
        shown = ", ".join(not_drawn[:3]) + (f" and {len(not_drawn) - 3} more" if len(not_drawn) > 3 else "")
        text += f"\nnot drawn, status not ok: {shown}"
    width_chars = int(fig.get_figwidth() * 13)
    text = "\n".join(textwrap.fill(line, width_chars) for line in text.split("\n"))
    fig.supxlabel(text, fontsize=8, color="0.3")
    return fig


def error_bars(summaries):
    """Asymmetric yerr [[below], [above]] from Summary tuples."""
    return np.array([[s.median - s.low for s in summaries], [s.high - s.median for s in summaries]])


def category_ticks(ax, positions, labels):
    """x tick labels, turned 30 degrees when they would not fit side by side."""
    room = PANEL_W / max(len(labels), 1)                    # inches per label
    crowded = max((len(lab) for lab in labels), default=0) * 0.09 > 0.9 * room
    ax.set_xticks(positions, labels, rotation=30 if crowded else 0,
                  ha="right" if crowded else "center", rotation_mode="anchor" if crowded else "default")


def log_size_axis(ax, sizes):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(sorted(sizes)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_size(int(round(x)))))


# ---------------------------------------------------------------- latency


def floor_line(run, cases):
    """The cache-line round-trip floor of a panel's cases (the first one found), or None."""
    for c in cases:
        f = zr.floor_of(run.by_id, c, "round_trip_ns_p50")
        if f is not None:
            return f
    return None


def latency_percentiles(run):
    cases = run.ok("pingpong", "round_trip_ns_p50", lambda c: not is_transport(c))
    if not cases:
        raise Skip("no pingpong case of a structure with status ok and a round_trip_ns_p50 median")
    panels = group(cases, panel_key)
    fig, axes = new_figure(len(panels))
    shades = plt.get_cmap("viridis")(np.linspace(0.1, 0.85, len(PERCENTILES)))
    width = 0.8 / len(PERCENTILES)
    for ax, title, panel in zip(axes, panel_titles(list(panels)), panels.values()):
        panel = sorted(panel, key=run.label)
        x = np.arange(len(panel))
        lows = []
        for j, (name, pct) in enumerate(PERCENTILES):
            pos, sums, missing = [], [], []
            for i, c in enumerate(panel):
                s = zr.metric_summary(c, name)
                at = x[i] + (j - (len(PERCENTILES) - 1) / 2) * width
                if s is not None and s.median > 0:
                    pos.append(at)
                    sums.append(s)
                else:
                    missing.append(at)
            for at in missing:  # a percentile the harness could not measure (median null)
                ax.text(at, 0.02, "n/a", transform=ax.get_xaxis_transform(), rotation=90,
                        ha="center", va="bottom", fontsize=7, color="0.35")
            if sums:
                ax.bar(pos, [s.median for s in sums], width, yerr=error_bars(sums), capsize=2,
                       color=shades[j], label=pct, error_kw={"elinewidth": 0.8})
                lows += [s.low for s in sums if s.low > 0]
        floor = floor_line(run, panel)
        if floor:
            ax.axhline(floor, color="black", linestyle="--", linewidth=1, label=FLOOR_LABEL)
            lows.append(floor)
        ax.set_yscale("log")
        if lows:
            ax.set_ylim(bottom=min(lows) / 2)
        category_ticks(ax, x, [run.label(c) for c in panel])
        ax.set_xlabel("variant")
        ax.set_ylabel("round trip (ns)")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", which="major", alpha=0.3)
    return finish(fig, axes, run, "Ping-pong round-trip latency percentiles (median of repetitions, CI)",
                  run.not_drawn("pingpong"))


def latency_cdf(run):
    cases = [c for c in run.ok("pingpong") if zr.case_histograms(c, "round_trip_ns")]
    if not cases:
        raise Skip("no pingpong case with status ok and round_trip_ns histograms")
    panels = group(cases, panel_key)
    fig, axes = new_figure(len(panels))
    for ax, title, panel in zip(axes, panel_titles(list(panels)), panels.values()):
        for c in sorted(panel, key=run.label):
            x, y = zr.cdf(zr.merge_histograms(zr.case_histograms(c, "round_trip_ns")))
            keep = x > 0
            ax.plot(x[keep], y[keep], drawstyle="steps-post", color=run.colors.get(run.label(c)),
                    label=run.label(c), linewidth=1.4)
        floor = floor_line(run, panel)
        if floor:
            ax.axvline(floor, color="black", linestyle="--", linewidth=1, label=FLOOR_LABEL)
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("round trip (ns)")
        ax.set_ylabel("fraction of round trips \u2264 x")
        ax.set_title(title, fontsize=10)
        ax.grid(which="major", alpha=0.3)
    return finish(fig, axes, run, "Ping-pong round-trip latency CDF (all repetitions merged)",
                  run.not_drawn("pingpong"))


# ---------------------------------------------------------------- throughput


def series_key(case):
    return case.get("placement") or ""


def draw_series(ax, run, cases, x_of, metric, many_placements, split=series_key):
    """One errorbar line per variant and split(case) (the placement, unless told otherwise) of
    cases, at x_of(case); the split is named in the legend when many_placements."""
    by_series = group(cases, lambda c: (run.label(c), split(c)))
    placements = sorted({split(c) for c in cases})
    for (label, placement), cs in by_series.items():
        pts = sorted(((x_of(c), zr.metric_summary(c, metric)) for c in cs), key=lambda p: p[0])
        pts = [(x, s) for x, s in pts if s is not None and s.median > 0]
        if not pts:
            continue
        name = f"{label} ({placement})" if many_placements else label
        ax.errorbar([p[0] for p in pts], [p[1].median for p in pts],
                    yerr=error_bars([p[1] for p in pts]), marker="o", markersize=4, capsize=3,
                    linewidth=1.4, color=run.colors.get(label), label=name,
                    linestyle=SERIES_STYLES[placements.index(placement) % len(SERIES_STYLES)])


def shm_read_floor(run, cases):
    """{placement: bytes/s}, the shm-read floor of each placement: per case, the median of its
    "bandwidth_floor_case" probe, else its throughput_bytes_per_s "floor" field; for a placement
    without either, the floor-shm-read probes of that placement. The highest value found for a
    placement is kept (the harness has one probe per placement, so there is one)."""
    floors = {}

    def keep(where, value):
        if value is not None and value > 0:
            floors[where] = max(value, floors.get(where, 0.0))

    for c in cases:
        keep(c.get("placement") or "",
             zr.floor_of(run.by_id, c, "throughput_bytes_per_s", "bandwidth_floor_case"))
    found = set(floors)
    for probe in run.ok("floor-shm-read", "throughput_bytes_per_s"):
        if (probe.get("placement") or "") not in found:
            keep(probe.get("placement") or "", zr.metric_summary(probe, "throughput_bytes_per_s").median)
    return floors


def throughput_vs_size(run):
    one_to_one = lambda c: c.get("producers") == 1 and c.get("consumers") == 1  # noqa: E731
    cases = run.ok("streaming", "throughput_msgs_per_s", one_to_one)
    sizes = sorted({c.get("message_size") for c in cases})
    if not sizes:
        raise Skip("no streaming case with status ok, 1 producer, 1 consumer and a "
                   "throughput_msgs_per_s median")
    if len(sizes) < 2:
        raise Skip(f"only one message size ({fmt_size(sizes[0])}) in the streaming cases with "
                   "status ok, 1 producer and 1 consumer")
    metrics = [("throughput_msgs_per_s", "throughput (messages/s)")]
    if any(zr.metric_summary(c, "throughput_bytes_per_s") for c in cases):
        metrics.append(("throughput_bytes_per_s", "throughput (bytes/s)"))
    placements = sorted({series_key(c) for c in cases})
    fig, axes = new_figure(len(metrics))
    for ax, (metric, ylabel) in zip(axes, metrics):
        draw_series(ax, run, cases, lambda c: c.get("message_size"), metric, len(placements) > 1)
        if metric == "throughput_bytes_per_s":
            floors = shm_read_floor(run, cases)
            for i, placement in enumerate(p for p in floors if p in placements or len(placements) == 1):
                where = f" ({placement})" if len(placements) > 1 else ""
                ax.axhline(floors[placement], color="black", linestyle=FLOOR_STYLES[i % len(FLOOR_STYLES)],
                           linewidth=1, label=f"floor: shm read{where}")
        log_size_axis(ax, sizes)
        ax.set_yscale("log")
        label_short_log_axis(ax)
        ax.set_xlabel("message size (bytes)")
        ax.set_ylabel(ylabel)
        ax.set_title(ylabel.split(" (")[1].rstrip(")"), fontsize=10)
        ax.grid(which="major", alpha=0.3)
    return finish(fig, axes, run, "Streaming throughput vs message size, 1 producer 1 consumer "
                  "(median of repetitions, CI)", run.not_drawn("streaming"))


def label_short_log_axis(ax):
    """A log y axis spanning less than a decade or two shows one labelled tick at most: label the minor ones too."""
    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 100:
        ax.yaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
        ax.tick_params(axis="y", which="minor", labelsize=7)


def throughput_vs_workers(run):
    cases = run.ok("streaming", "throughput_msgs_per_s")
    combos = sorted({(c.get("producers"), c.get("consumers")) for c in cases},
                    key=lambda pc: (pc[0] + pc[1], pc))
    if not combos:
        raise Skip("no streaming case with status ok and a throughput_msgs_per_s median")
    if len(combos) < 2:
        raise Skip(f"only one producer/consumer combination ({combos[0][0]}p{combos[0][1]}c) "
                   "in the streaming cases with status ok")
    by_size = {size: cs for size, cs in group(cases, lambda c: (c.get("message_size"),)).items()
               if len({(c.get("producers"), c.get("consumers")) for c in cs}) > 1}
    if not by_size:
        raise Skip("no message size has streaming cases at more than one producer/consumer combination")
    pos = {pc: i for i, pc in enumerate(combos)}
    oversub = {(c.get("producers"), c.get("consumers")) for c in cases if c.get("oversubscribed")}
    placements = sorted({series_key(c) for c in cases})
    fig, axes = new_figure(len(by_size))
    for ax, (size, cs) in zip(axes, by_size.items()):
        draw_series(ax, run, cs, lambda c: pos[(c.get("producers"), c.get("consumers"))],
                    "throughput_msgs_per_s", len(placements) > 1)
        ax.set_xticks(range(len(combos)),
                      [f"{p}p{c}c" + ("*" if (p, c) in oversub else "") for p, c in combos])
        ax.set_xlim(-0.5, len(combos) - 0.5)
        ax.set_yscale("log")
        label_short_log_axis(ax)
        ax.set_xlabel("producers x consumers" + ("  (* oversubscribed)" if oversub else ""))
        ax.set_ylabel("throughput (messages/s)")
        ax.set_title(f"{fmt_size(size[0])} messages", fontsize=10)
        ax.grid(which="major", alpha=0.3)
    return finish(fig, axes, run, "Streaming throughput vs workers (median of repetitions, CI)",
                  run.not_drawn("streaming"))


# ---------------------------------------------------------------- stream fan-out (codata)


def fanout_vs_subscribers(run):
    cases = run.ok("fanout", "throughput_msgs_per_s")
    if not cases:
        raise Skip("no fanout case with status ok and a throughput_msgs_per_s median")
    counts = sorted({c.get("consumers") for c in cases})
    if len(counts) < 2:
        raise Skip(f"only one subscriber count ({counts[0]}) in the fanout cases with status ok")
    oversub = {c.get("consumers") for c in cases if c.get("oversubscribed")}
    panels = group(cases, lambda c: (c.get("placement") or "",))
    fig, axes = new_figure(len(panels))
    for ax, ((placement,), cs) in zip(axes, panels.items()):
        draw_series(ax, run, cs, lambda c: c.get("consumers"), "throughput_msgs_per_s",
                    len({c.get("message_size") for c in cs}) > 1, split=lambda c: fmt_size(c.get("message_size")))
        ax.set_xticks(counts, [f"{n}" + ("*" if n in oversub else "") for n in counts])
        ax.set_yscale("log")
        label_short_log_axis(ax)
        ax.set_xlabel("subscriber processes" + ("  (* oversubscribed)" if oversub else ""))
        ax.set_ylabel("messages emitted/s (each subscriber gets all)")
        ax.set_title(placement, fontsize=10)
        ax.grid(which="major", alpha=0.3)
    return finish(fig, axes, run, "Stream fan-out: one producer, N subscribers (median of repetitions, CI)",
                  run.not_drawn("fanout"))


# ---------------------------------------------------------------- transports (baselines)

REFERENCE_TRANSPORT = "unix_stream"


def is_transport(case):
    return case.get("structure") == "transport"


def transport_family(name):
    """zeroipc, kernel (pipe, sockets, queues) or middleware (Boost, ZeroMQ, Redis): the bar colour."""
    if name.startswith("zeroipc_"):
        return "zeroipc"
    if name.startswith(("boost_", "zmq_", "redis_")):
        return "middleware"
    return "kernel"


FAMILY_COLORS = {"zeroipc": "tab:blue", "kernel": "tab:gray", "middleware": "tab:orange", "floor": "black"}


def futex_floor(run, placement):
    """The floor-futex probe's round-trip summary for a placement (the floor of waking a process
    asleep in the kernel), or None when the run has no such ok probe."""
    futex = run.by_id.get(f"floor-futex/{placement}")
    return zr.metric_summary(futex, "round_trip_ns_p50") if futex is not None and zr.is_ok(futex) else None


def transport_latency(run):
    cases = run.ok("pingpong", "round_trip_ns_p50", is_transport)
    if not cases:
        raise Skip("no pingpong case of a transport with status ok and a round_trip_ns_p50 median")
    panels = group(cases, panel_key)
    fig, axes = new_figure(len(panels), width=PANEL_W * 1.25)
    for ax, title, panel in zip(axes, panel_titles(list(panels)), panels.values()):
        bars = [(c.get("variant"), zr.metric_summary(c, "round_trip_ns_p50"), transport_family(c.get("variant")))
                for c in panel]
        floor = floor_line(run, panel)
        if floor:
            bars.append(("floor: cache line", zr.Summary(floor, floor, floor, "ns", "lower"), "floor"))
        futex = futex_floor(run, panel[0].get("placement"))
        if futex:
            bars.append(("floor: futex wake", futex, "floor"))
        bars.sort(key=lambda b: b[1].median)
        floors_label = "floors: cache-line round trip, futex wake" if futex else FLOOR_LABEL
        x = np.arange(len(bars))
        for family in FAMILY_COLORS:
            idx = [i for i, b in enumerate(bars) if b[2] == family]
            if idx:
                ax.bar(x[idx], [bars[i][1].median for i in idx], 0.75,
                       yerr=error_bars([bars[i][1] for i in idx]), capsize=2, color=FAMILY_COLORS[family],
                       label=family if family != "floor" else floors_label, error_kw={"elinewidth": 0.8})
        ax.set_yscale("log")
        ax.set_xticks(x, [b[0] for b in bars], rotation=60, ha="right", rotation_mode="anchor", fontsize=7)
        ax.set_ylabel("round trip, median (ns)")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", which="major", alpha=0.3)
    return finish(fig, axes, run, "Round trip by transport, fastest first (median of repetitions, CI; log axis)",
                  [n for n in run.not_drawn("pingpong") if "/transport/" in n])


def fmt_ns(ns):
    return f"{ns / 1000:.1f} us" if ns >= 10000 else f"{ns:.0f} ns"


def fmt_rate(r):
    for unit, scale in (("M/s", 1e6), ("k/s", 1e3)):
        if r >= scale:
            return f"{r / scale:.2f} {unit}"
    return f"{r:.0f} /s"


def transport_tables(run):
    """Markdown: per workload and message size, each transport against the Unix socket, the best
    zeroipc queue and the floor (all ratios within this run)."""
    specs = [("pingpong", "round_trip_ns_p50", "round trip p50", fmt_ns, True),
             ("streaming", "throughput_msgs_per_s", "messages/s", fmt_rate, False)]
    out = [f"# Transports: {run.caption}", "",
           "Speed-up over the Unix socket (unix_stream) is how many times faster than it a transport is "
           "(round trip: its time / this one's; streaming: this rate / its rate). "
           "'x best zeroipc' and 'x floor' say how many times worse than the best zeroipc queue and than "
           "the machine's floor (cache-line round trip; shared-memory read bandwidth) a transport is. "
           "'x futex floor' (when the run has the floor-futex probe) is a round trip over the futex wake "
           "round trip: the floor of a transport whose waiting side sleeps in the kernel.", ""]
    wrote = False
    for workload, metric, what, fmt, lower in specs:
        cases = run.ok(workload, metric, is_transport)
        for (size, placement, w), panel in group(cases, panel_key).items():
            ref = next((c for c in panel if c.get("variant") == REFERENCE_TRANSPORT), None)
            ref_v = zr.metric_summary(ref, metric).median if ref else None
            futex = futex_floor(run, placement) if workload == "pingpong" else None
            rows = sorted(panel, key=lambda c: zr.metric_summary(c, metric).median * (1 if lower else -1))
            out += [f"## {workload}, {fmt_size(size)}, {placement}, {w}: {what}", "",
                    "| transport | median | speed-up over unix_stream | x best zeroipc | x floor |"
                    + (" x futex floor |" if futex else ""),
                    "|---|---:|---:|---:|---:|" + ("---:|" if futex else "")]
            for c in rows:
                v = zr.metric_summary(c, metric).median
                m = zr.metric(c, metric) or {}
                speedup = "" if not ref_v else f"{(ref_v / v if lower else v / ref_v):.2f}x"
                best = m.get("best_zeroipc_ratio")
                flo = m.get("floor_ratio")
                if flo is None and not lower:
                    flo = (zr.metric(c, "throughput_bytes_per_s") or {}).get("floor_ratio")
                out.append(f"| {c.get('variant')} | {fmt(v)} | {speedup} | "
                           f"{'' if best is None else f'{best:.1f}x'} | {'' if flo is None else f'{flo:.1f}x'} |"
                           + (f" {v / futex.median:.2f}x |" if futex else ""))
            out.append("")
            wrote = True
    if not wrote:
        raise Skip("no transport case with status ok")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- key-value stores (map)

MAP_REFERENCE = "zeroipc_locked_probe"


def map_throughput(run):
    metric = "throughput_ops_per_s"
    cases = run.ok("map", metric)
    if not cases:
        raise Skip(f"no map case with status ok and a {metric} median")
    panels = group(cases, lambda c: (c.get("message_size") or 0, c.get("placement") or ""))
    stores = sorted({c.get("variant") for c in cases}, key=lambda s: (s != MAP_REFERENCE, s))
    colors = {s: plt.get_cmap("tab10").colors[i % 10] for i, s in enumerate(stores)}
    fig, axes = new_figure(2 * len(panels), width=PANEL_W * 1.15)
    width = 0.8 / len(stores)
    for k, ((size, placement), panel) in enumerate(panels.items()):
        groups = group(panel, lambda c: (c.get("mix") or "", c.get("producers") or 0))
        x = np.arange(len(groups))
        value_ax, ratio_ax = axes[2 * k], axes[2 * k + 1]
        for j, store in enumerate(stores):
            at, sums, ratios = [], [], []
            for i, cs in enumerate(groups.values()):
                mine = next((c for c in cs if c.get("variant") == store), None)
                ref = next((c for c in cs if c.get("variant") == MAP_REFERENCE), None)
                if mine is None:
                    continue
                s = zr.metric_summary(mine, metric)
                at.append(x[i] + (j - (len(stores) - 1) / 2) * width)
                sums.append(s)
                ratios.append(s.median / zr.metric_summary(ref, metric).median if ref else np.nan)
            if not sums:
                continue
            value_ax.bar(at, [s.median for s in sums], width, yerr=error_bars(sums), capsize=2,
                         color=colors[store], label=store, error_kw={"elinewidth": 0.8})
            ratio_ax.bar(at, ratios, width, color=colors[store], label=store)
            for a, r in zip(at, ratios):
                if np.isfinite(r):
                    ratio_ax.text(a, r, f"{r:.2g}", ha="center", va="bottom", fontsize=6)
        labels = [f"{mix}\n{p} worker{'s' if p != 1 else ''}" for mix, p in groups]
        where = ", ".join(p for p in (fmt_size(size) + " values", placement) if p)
        for ax in (value_ax, ratio_ax):
            ax.set_yscale("log")
            ax.set_xticks(x, labels, fontsize=8)
            ax.grid(axis="y", which="major", alpha=0.3)
        ratio_ax.axhline(1, color="black", linewidth=0.8)
        value_ax.set_ylabel("operations/s, all workers (median)")
        ratio_ax.set_ylabel(f"ratio to {MAP_REFERENCE}")
        value_ax.set_title(f"ops/s, {where}", fontsize=10)
        ratio_ax.set_title(f"as a ratio to {MAP_REFERENCE} (higher is faster)", fontsize=10)
    return finish(fig, axes, run, "Key-value mix on one shared map, by store (median of repetitions, CI; log axes)",
                  run.not_drawn("map"))


# ---------------------------------------------------------------- pool and ring

POOL_MODES = ("handles", "copies")
RING_TARGET = 0.8  # of the memcpy floor, at 1 MiB messages (the ring's stated goal; measured, never asserted)


def memcpy_floor(run):
    """The run's memcpy floor (bytes/s): the median of its floor-memcpy probe, or None."""
    for probe in run.ok("floor-memcpy", "throughput_bytes_per_s"):
        return zr.metric_summary(probe, "throughput_bytes_per_s").median
    return None


def size_line(ax, cases, metric, **style):
    """One errorbar line of cases' medians of `metric` against their message size; the sizes."""
    pts = sorted((c.get("message_size"), zr.metric_summary(c, metric)) for c in cases)
    ax.errorbar([p[0] for p in pts], [p[1].median for p in pts], yerr=error_bars([p[1] for p in pts]), marker="o",
                markersize=4, capsize=3, linewidth=1.4, **style)
    return [p[0] for p in pts]


def ratio_line(ax, sizes, ratios, fmt, **style):
    """Ratios against message size, each value written above its point."""
    ax.plot(sizes, ratios, marker="o", **style)
    for n, r in zip(sizes, ratios):
        ax.annotate(format(r, fmt), (n, r), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)


def size_panels(value_ax, ratio_ax, sizes, xlabel, where, value_title, ratio_title):
    """The pair of panels of one group of cases: log size axes, titles; the value axis log."""
    for ax in (value_ax, ratio_ax):
        log_size_axis(ax, sizes)
        ax.set_xlabel(xlabel)
        ax.grid(which="major", alpha=0.3)
    value_ax.set_yscale("log")
    where = ", ".join(p for p in where if p)
    value_ax.set_title(f"{value_title}, {where}", fontsize=10)
    ratio_ax.set_title(ratio_title, fontsize=10)


def by_workers(run, workload, metric):
    """The ok cases of `workload` with a `metric` median, and them by (workers, placement)."""
    cases = run.ok(workload, metric)
    if not cases:
        raise Skip(f"no {workload} case with status ok and a {metric} median")
    return cases, group(cases, lambda c: (workers(c), c.get("placement") or ""))


def pool_throughput(run):
    metric = "throughput_msgs_per_s"
    _, panels = by_workers(run, "pool", metric)
    fig, axes = new_figure(2 * len(panels))
    colors = {m: plt.get_cmap("tab10").colors[i] for i, m in enumerate(POOL_MODES)}
    for k, ((w, placement), panel) in enumerate(panels.items()):
        value_ax, ratio_ax = axes[2 * k], axes[2 * k + 1]
        by_mode = group(panel, lambda c: c.get("mix") or "")
        for mode, cs in by_mode.items():
            size_line(value_ax, cs, metric, color=colors.get(mode), label=mode)
        handles = {c.get("message_size"): zr.metric_summary(c, metric).median for c in by_mode.get("handles", [])}
        copies = {c.get("message_size"): zr.metric_summary(c, metric).median for c in by_mode.get("copies", [])}
        both = sorted(set(handles) & set(copies))
        if both:
            ratio_line(ratio_ax, both, [handles[n] / copies[n] for n in both], ".2g", color=colors["handles"],
                       label="handles / copies")
        ratio_ax.axhline(1, color="black", linewidth=0.8)
        size_panels(value_ax, ratio_ax, {c.get("message_size") for c in panel}, "object (message) size",
                    (w, placement), "cycles/s", "what passing handles instead of copies buys")
        value_ax.set_ylabel("cycles/s, all producers (median)")
        ratio_ax.set_ylabel("handles / copies (higher: the pool is faster)")
    return finish(fig, axes, run, "Pool: acquire / write / pass / check / release cycles, handles against copies "
                  "(median of repetitions, CI)", run.not_drawn("pool"))


def ring_bandwidth(run):
    metric = "throughput_bytes_per_s"
    cases, panels = by_workers(run, "ring", metric)
    memcpy = memcpy_floor(run)
    shm = shm_read_floor(run, cases)
    fig, axes = new_figure(2 * len(panels))
    for k, ((w, placement), panel) in enumerate(panels.items()):
        value_ax, ratio_ax = axes[2 * k], axes[2 * k + 1]
        color = run.colors.get(run.label(panel[0]))
        sizes = size_line(value_ax, panel, metric, color=color, label="ring, zero copy (write_acquire / read_acquire)")
        if memcpy:
            value_ax.axhline(memcpy, color="black", linestyle="--", linewidth=1, label="floor: memcpy, one PU")
            ratios = [zr.metric_summary(c, metric).median / memcpy
                      for c in sorted(panel, key=lambda c: c.get("message_size"))]
            ratio_line(ratio_ax, sizes, ratios, ".2f", color=color, label="ring / memcpy floor")
            ratio_ax.axhline(RING_TARGET, color="0.4", linestyle=":", linewidth=1,
                             label=f"target: {RING_TARGET:g}x memcpy at 1 MiB")
        if shm.get(placement):
            value_ax.axhline(shm[placement], color="black", linestyle=":", linewidth=1,
                             label="floor: shared-memory read between the PUs")
        size_panels(value_ax, ratio_ax, sizes, "message size", (w, placement), "bytes/s",
                    "as a ratio to memcpy (1 = the copy's own rate)")
        value_ax.set_ylabel("bytes/s to each reader (median)")
        ratio_ax.set_ylim(bottom=0)
        ratio_ax.set_ylabel("ratio to the run's memcpy floor")
    return finish(fig, axes, run, "Ring: bulk transfer, zero copy, against the run's floors (median of repetitions, CI)",
                  run.not_drawn("ring"))


def fmt_bytes_rate(r):
    return f"{r / 1e9:.2f} GB/s"


def structures_table(run):
    """Markdown: the map, pool and ring cases' medians (the numbers the README quotes)."""
    out = []
    maps = run.ok("map", "throughput_ops_per_s")
    if maps:
        out += ["## map: operations/s, all workers (median)", "",
                "| store | mix | workers | value size | ops/s |", "|---|---|---|---|---|"]
        for c in sorted(maps, key=lambda c: (c.get("variant"), c.get("mix") or "", c.get("producers") or 0)):
            out.append(f"| {c.get('variant')} | {c.get('mix')} | {c.get('producers')} | "
                       f"{fmt_size(c.get('message_size'))} | "
                       f"{fmt_rate(zr.metric_summary(c, 'throughput_ops_per_s').median)} |")
        out.append("")
    pools = run.ok("pool", "throughput_msgs_per_s")
    if pools:
        out += ["## pool: cycles/s, all producers (median)", "",
                "| mode | workers | object size | cycles/s | bytes/s | one-way p50 |", "|---|---|---|---|---|---|"]
        for c in sorted(pools, key=lambda c: (c.get("mix") or "", workers(c), c.get("message_size") or 0)):
            lat = zr.metric_summary(c, "one_way_ns_p50")
            out.append(f"| {c.get('mix')} | {workers(c)} | {fmt_size(c.get('message_size'))} | "
                       f"{fmt_rate(zr.metric_summary(c, 'throughput_msgs_per_s').median)} | "
                       f"{fmt_bytes_rate(zr.metric_summary(c, 'throughput_bytes_per_s').median)} | "
                       f"{fmt_ns(lat.median) if lat else 'n/a'} |")
        out.append("")
    rings = run.ok("ring", "throughput_bytes_per_s")
    if rings:
        memcpy = memcpy_floor(run)
        shm = shm_read_floor(run, rings)
        out += ["## ring: bytes/s to each reader (median), against the run's floors", "",
                f"memcpy floor: {fmt_bytes_rate(memcpy) if memcpy else 'not measured'}; shared-memory read floor: " +
                (", ".join(f"{fmt_bytes_rate(v)} ({k})" for k, v in shm.items()) or "not measured"), "",
                "| workers | message size | bytes/s | x memcpy | x shm read |", "|---|---|---|---|---|"]
        for c in sorted(rings, key=lambda c: (workers(c), c.get("message_size") or 0)):
            bw = zr.metric_summary(c, "throughput_bytes_per_s").median
            floor = shm.get(c.get("placement") or "")
            x_memcpy = f"{bw / memcpy:.2f}" if memcpy else "n/a"
            x_shm = f"{bw / floor:.2f}" if floor else "n/a"
            out.append(f"| {workers(c)} | {fmt_size(c.get('message_size'))} | {fmt_bytes_rate(bw)} | {x_memcpy} | "
                       f"{x_shm} |")
        out.append("")
    if not out:
        raise Skip("no map, pool or ring case with status ok")
    return "\n".join(out)


FIGURES = [("latency_percentiles", latency_percentiles), ("latency_cdf", latency_cdf),
           ("throughput_vs_size", throughput_vs_size), ("throughput_vs_workers", throughput_vs_workers),
           ("transport_latency", transport_latency), ("fanout_vs_subscribers", fanout_vs_subscribers),
           ("map_throughput", map_throughput), ("pool_throughput", pool_throughput),
           ("ring_bandwidth", ring_bandwidth)]
TABLES = [("transport_tables.md", transport_tables), ("structures_table.md", structures_table)]


# ---------------------------------------------------------------- main


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS_DIR", help="results folder (or its results.json)")
    p.add_argument("--out", metavar="DIR", help="where to write the figures (default RESULTS_DIR/plots)")
    args = p.parse_args(argv)
    try:
        source = zr.results_file(args.results)
        run = Run(zr.load_results(source))
    except zr.ResultsError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else source.parent / "plots"
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in FIGURES:
        try:
            fig = draw(run)
        except Skip as why:
            print(f"skipped {name}: {why}")
            continue
        fig.savefig(out / f"{name}.png", dpi=150)
        fig.savefig(out / f"{name}.pdf")
        plt.close(fig)
        print(f"wrote {out / name}.png and .pdf")
    for name, make in TABLES:
        try:
            text = make(run)
        except Skip as why:
            print(f"skipped {name}: {why}")
            continue
        (out / name).write_text(text)
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
