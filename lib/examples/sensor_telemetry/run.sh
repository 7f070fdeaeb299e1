#!/usr/bin/env bash
# example.sensor_telemetry: sensor_producer fills the readings Array and emits
# alerts; sensor_consumer, another process, keeps running statistics of both.
# Checked: the consumer's count, mean, min, max and alert count are exactly the
# producer's own; every alert matched its reading; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" sensor_telemetry "$@"

launch_ready producer "$bin/sensor_producer" "$seg" 4000
launch consumer "$bin/sensor_consumer" "$seg"
finish
for key in count mean min max alerts; do same producer "$key" consumer "$key"; done
expect_field consumer count 4000
expect consumer '(0 not matching their reading)'
