#!/usr/bin/env bash
# example.sensor_c: sensor_c_producer (C99, libzeroipc-c) pushes readings onto
# a Queue and keeps each sensor's last one in an Array; sensor_c_consumer (C++,
# another process) pops them with the C++ library and reads the Array.
# Checked: the consumer's count, mean, min, max and humidity are exactly the
# producer's own; no reading missing, out of order or on the wrong sensor; the
# Array's last readings are the ones popped; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" sensor_c "$@"

launch_ready producer "$bin/sensor_c_producer" "$seg" 4000
launch consumer "$bin/sensor_c_consumer" "$seg"
finish
for key in count mean min max humidity; do same producer "$key" consumer "$key"; done
expect_field consumer count 4000
expect consumer 'popped 4000 of 4000 readings (0 out of order, 0 with the wrong sensor, 0 sensors whose latest reading differs)'
