#!/usr/bin/env bash
# example.market_data: the feed emits 2000 ticks (one every 200 us), the
# analytics derive 8-tick bars and the signals, the trader subscribes to all
# three and prints the emit -> handler latency percentiles (measured, not
# judged: the machine may be busy).
# Checked: the trader got every tick once and in order, 2000 / 8 bars, and the
# signals are exactly its bars that crossed their mean, as many as the
# analytics published; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" market_data "$@"

ticks=2000
launch_ready feed "$bin/market_feed" "$seg" "$ticks" 200
launch_ready analytics "$bin/market_analytics" "$seg"
launch trader "$bin/market_trader" "$seg"
finish
same feed ticks trader ticks
expect_field trader ticks "$ticks"
expect_field trader gaps 0
expect_field trader bars $((ticks / 8))
expect_field trader signals_consistent yes
same analytics bars trader bars
same analytics signals trader signals
