#!/usr/bin/env bash
# example.sensor_pipeline: four processes. The source emits 0..99 C; the
# stages convert to Fahrenheit, keep the readings over 100 F (38 C and up:
# 62 of them), cut them into windows of 5 and average each; the display prints
# the averages, the tap counts the intermediate stream 'hot'.
# Checked: the averages are 104.0 F + 9 F per window (window k holds
# 38+5k .. 42+5k C), then 209.3 F for the last, short window (98 and 99 C);
# 62 readings reach the tap and the display; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" sensor_pipeline "$@"

launch_ready source "$bin/pipeline_source" "$seg" 100
launch_ready stages "$bin/pipeline_stages" "$seg"
launch display "$bin/pipeline_display" "$seg"
launch tap "$bin/pipeline_tap" "$seg"
finish
expect display "13 window averages (F): 104.0 113.0 122.0 131.0 140.0 149.0 158.0 167.0 176.0 185.0 194.0 203.0 209.3"
expect_field display last_window 2
expect_field display end closed
expect_field source emitted 100
expect_field tap items 62
same tap items display readings
same tap items stages hot
expect_field stages averages 13
expect_field tap min 100.4
expect_field tap max 210.2
