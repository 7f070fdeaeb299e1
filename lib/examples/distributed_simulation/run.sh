#!/usr/bin/env bash
# example.distributed_simulation: a coordinator and five worker processes,
# each worker setting the Future result.<i>. Worker 2 diverges and sets an
# error; worker 3 kills itself (SIGKILL) half way without setting anything.
# Checked: the coordinator reports values for 0, 1 and 4 (the energies the
# workers printed), the error for 2, "died" for 3 (noticed, not waited out:
# none timed out); the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" distributed_simulation "$@"

launch coordinator "$bin/sim_coordinator" "$seg" 5 10
launch worker0 "$bin/sim_worker" "$seg" 0
launch worker1 "$bin/sim_worker" "$seg" 1
launch worker2 "$bin/sim_worker" "$seg" 2 --diverge
launch worker3 "$bin/sim_worker" "$seg" 3 --crash
launch worker4 "$bin/sim_worker" "$seg" 4
expect_rc worker3 137  # killed by SIGKILL
finish
for i in 0 1 4; do
  expect_field coordinator "result.$i" value
  same "worker$i" energy coordinator "energy.$i"
done
expect_field coordinator result.2 error
expect coordinator "diverged at step"
expect_field coordinator result.3 died
expect_field coordinator values 3
expect_field coordinator errors 1
expect_field coordinator died 1
expect_field coordinator timed_out 0
