#!/bin/bash
# A stress campaign split over 8 tasks of a Slurm job array: task I runs `stress --shard auto/8`,
# which reads I from SLURM_ARRAY_TASK_ID. Submit from the source tree after building the release
# preset; the merge job waits for every task with afterany, not afterok, because a task that found
# a bug exits 1 and the merged report is what lists it:
#
#   mkdir -p results
#   JOBID=$(sbatch --parsable ci/campaign/slurm-array.sh)
#   sbatch --dependency=afterany:$JOBID --output=results/merge.out --wrap "build/release/harness/stress merge results/shard-*.json --json results/merged.json --junit results/merged.xml"
#
# The merge exits 1 when a shard found a bug, 2 when a report is missing or from another campaign.
#SBATCH --job-name=poolcheck-stress
#SBATCH --array=0-7
#SBATCH --time=00:30:00
#SBATCH --output=results/shard-%a.out
set -euo pipefail

# One seed for all tasks: merge refuses reports whose settings differ. sbatch passes the
# submitting shell's environment on, so `CAMPAIGN_SEED=N sbatch ...` starts another campaign.
CAMPAIGN_SEED=${CAMPAIGN_SEED:-20261124}

exec build/release/harness/stress --shard auto/8 --seed "$CAMPAIGN_SEED" --duration 600 \
  --json "results/shard-${SLURM_ARRAY_TASK_ID}.json"
