#!/usr/bin/env bash
# example.sensor_python: the C++ sensor_producer (../sensor_telemetry) fills the
# readings Array; sensor_consumer.py, a Python process, views it as a NumPy array
# in place, polls the published count, and prints the statistics of all readings.
# Checked: the consumer's count, mean, min, max and alerts (readings over 24.5 C)
# are exactly the producer's own; the segment is gone after.
#   run.sh <dir of the sensor_telemetry executables>
# The C library: $ZEROIPC_C_LIBRARY (ctest sets it), else the build tree's.
# The consumer subscribes to the alert Stream first thing; the producer waits for it (up to 5 s).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../driver.sh" sensor_python "$@"
python=${ZEROIPC_PYTHON:-/usr/bin/python3}

launch_ready producer "$bin/sensor_producer" "$seg" 4000
# A sanitizer build's libzeroipc-c.so needs its runtime preloaded into Python (CMake sets this).
py=("$python")
if [[ -n "${ZEROIPC_SANITIZER_PRELOAD:-}" ]]; then
  py=(env "LD_PRELOAD=$ZEROIPC_SANITIZER_PRELOAD" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$python")
fi
launch consumer "${py[@]}" "$here/sensor_consumer.py" "$seg"
finish
for key in count mean min max alerts; do same producer "$key" consumer "$key"; done
expect_field consumer count 4000
