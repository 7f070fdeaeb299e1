#!/usr/bin/env bash
# example.event_fanout: one producer and three subscriber processes on one
# Stream; each subscriber runs its own handler with foreach (a count, the
# purchases' revenue, a tally per kind). The producer waits for all three to
# subscribe, emits 10000 events and closes the stream.
# Checked: every subscriber handled all 10000 events, in order (its checksum
# is the producer's); the revenue and the tally are the producer's; each saw
# the stream closed; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" event_fanout "$@"

events=10000
launch_ready producer "$bin/fanout_producer" "$seg" "$events"
for role in counter revenue tally; do launch "$role" "$bin/fanout_subscriber" "$seg" "$role"; done
finish
expect_field producer events "$events"
for role in counter revenue tally; do
  same producer events "$role" events
  same producer checksum "$role" checksum
  expect_field "$role" end closed
done
expect counter "counted $events events"
same producer revenue_cents revenue revenue_cents
for kind in view add_to_cart purchase; do same producer "$kind" tally "$kind"; done
