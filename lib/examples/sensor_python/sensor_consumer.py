#!/usr/bin/env python3
"""Sensor telemetry, Python consumer: the C++ sensor_producer (../sensor_telemetry) writes
every reading into the shared Array<float> "temperature" and publishes how many it has written
in Array<uint64_t> "temperature_meta"[0] (one release store). This process, another language,
views the readings as a NumPy array in place (no copy), polls the published count with an
acquire load, prints live statistics of temps[:n] with NumPy, subscribes to the Stream "alerts"
(the readings over 24.5 C, as records), waits for the Future "done", and prints the final
statistics in the producer's format, then removes the segment.

    sensor_consumer.py [segment]        default: /zeroipc_sensor_demo

The C library is $ZEROIPC_C_LIBRARY if set, else the package's own lookup (the build tree).
alerts= is the number of alerts received on the Stream; each is checked against the reading it
names in the Array, and their number against the readings over 24.5 C.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))  # lib/python

import numpy as np  # noqa: E402
import zeroipc  # noqa: E402

READINGS = "temperature"        # Array<float>: every reading, in order
WRITTEN = "temperature_meta"    # Array<uint64_t>, [0]: readings written so far
DONE = "done"                   # Future<uint64_t>: the final count
ALERTS = "alerts"               # Stream<Alert>: the readings over ALERT_CELSIUS
ALERT_CELSIUS = np.float32(24.5)
# telemetry.h's struct Alert {uint64_t index; float celsius; uint32_t sensor;}, 16 bytes.
ALERT = np.dtype([("index", "<u8"), ("celsius", "<f4"), ("sensor", "<u4")], align=True)


def stats(who: str, temps: np.ndarray, alerts: int) -> str:
    # The sum of float32 readings in float64 is exact here, so it matches the producer's
    # running sum whatever the order; min/max are the float32 values.
    n = temps.size
    mean = float(temps.sum(dtype=np.float64)) / n if n else 0.0
    lo = float(temps.min()) if n else float("inf")
    hi = float(temps.max()) if n else float("-inf")
    return f"{who}: count={n} mean={mean:.4f} min={lo:.4f} max={hi:.4f} alerts={alerts}"


def main() -> int:
    segment = sys.argv[1] if len(sys.argv) > 1 else "/zeroipc_sensor_demo"
    mem = zeroipc.Memory(segment)
    temps = zeroipc.Array(mem, READINGS, dtype=np.float32)       # a view of the shared bytes
    written = zeroipc.AtomicU64(zeroipc.Array(mem, WRITTEN, dtype=np.uint64), 0)
    done = zeroipc.Future(mem, DONE, dtype=np.uint64)
    alerts = zeroipc.Stream(mem, ALERTS, dtype=ALERT).subscribe()   # sees every alert from now on
    received = []
    print(f"consumer (pid {os.getpid()}, {zeroipc.library_path}): viewing {temps.size} readings "
          f"of {segment} in place", flush=True)

    next_report = 1000
    deadline = time.monotonic() + 30
    while True:
        finished = done.is_ready()          # checked before the load: the count is then final
        n = written.load()
        alert = alerts.try_next()
        while alert is not None:            # drain what has arrived, never blocking the loop
            received.append(alert)
            alert = alerts.try_next()
        if n >= next_report:  # once per ~1000 readings, over all n published so far
            seen = temps[:n]
            print(f"consumer: {n:6d} readings so far: mean {seen.mean(dtype=np.float64):.2f} C, "
                  f"min {seen.min():.2f} C, max {seen.max():.2f} C", flush=True)
            next_report = (n // 1000 + 1) * 1000
        if finished or n >= temps.size or time.monotonic() > deadline:
            break
        time.sleep(0.0005)

    total = int(done.get(timeout=10))
    n = written.load()
    if n != total:
        print(f"consumer: the Future says {total} readings but {n} were published", file=sys.stderr)
        return 1
    received.extend(alerts)                 # the rest, up to the end of the stream (closed before done)
    if alerts.end_reason != "closed" or alerts.missed:
        print(f"consumer: the alert stream ended '{alerts.end_reason}' with {alerts.missed} missed", file=sys.stderr)
        return 1
    over = np.flatnonzero(temps[:n] > ALERT_CELSIUS)
    got = np.array([int(a["index"]) for a in received], dtype=np.int64)
    if not np.array_equal(got, over) or any(a["celsius"] != temps[int(a["index"])] for a in received):
        print(f"consumer: {len(received)} alerts do not match the {over.size} readings over {ALERT_CELSIUS} C",
              file=sys.stderr)
        return 1
    print(f"consumer: read {n} readings in place, the Future says {total}; {len(received)} alerts on the stream, "
          f"each the reading it names")
    print(stats("consumer", temps[:n], len(received)), flush=True)
    alerts.close()
    done.close()
    mem.close()
    zeroipc.unlink(segment)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except zeroipc.Error as e:
        print(f"sensor_consumer.py: {e}", file=sys.stderr)
        sys.exit(1)
