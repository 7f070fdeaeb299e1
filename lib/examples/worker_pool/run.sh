#!/usr/bin/env bash
# example.worker_pool: a dispatcher, 3 workers and an aggregator, five
# processes started in any order (here the consumers first), over two Channels.
# Checked: every job's result arrived exactly once; the total is the one the
# dispatcher computed; the workers' job counts add up; exactly one worker
# closed 'results'; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" worker_pool "$@"

jobs=3000
workers=3
launch aggregator "$bin/pool_aggregator" "$seg" "$jobs"
for i in $(seq 1 "$workers"); do launch "worker$i" "$bin/pool_worker" "$seg" "$i" "$workers"; done
launch dispatcher "$bin/pool_dispatcher" "$seg" "$jobs"
finish
expect_field aggregator results "$jobs"
expect_field aggregator missing 0
expect_field aggregator repeated 0
expect_field aggregator unknown 0
same dispatcher expected_total aggregator total
sum=0 closers=0
for i in $(seq 1 "$workers"); do
  sum=$((sum + $(field "worker$i" jobs)))
  grep -q "closed 'results'" "$work/worker$i.out" && closers=$((closers + 1))
done
((sum == jobs)) || fail "the workers did $sum jobs, not $jobs"
((closers == 1)) || fail "$closers workers closed 'results', not 1"
