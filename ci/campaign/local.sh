#!/usr/bin/env bash
# The sharded campaign on one machine: N processes of one stress command, `--shard I/N` each, then
# `stress merge` of their reports, as the CI, Kubernetes and Slurm recipes here run it across
# machines. Exits with merge's code: 0 every shard clean, 1 a shard failed, 2 a report is missing
# or does not match.
#
#   usage: ci/campaign/local.sh N [stress flags...]      e.g. ci/campaign/local.sh 4 --duration 60
#   env:   STRESS          the binary (default build/release/harness/stress)
#          OUT             where reports and logs go (default build/campaign)
#          POOLCHECK_JOBS  shards running at once (default: nproc)
set -euo pipefail

usage() {
  echo "usage: $0 N [stress flags...]  (N: the number of shards, 1 or more; this script adds --shard and --json)" >&2
  exit 2
}
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
n=$1
shift
stress=${STRESS:-build/release/harness/stress}
out=${OUT:-build/campaign}
jobs=${POOLCHECK_JOBS:-$(nproc)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "$0: POOLCHECK_JOBS must be a number of 1 or more, not '$jobs'" >&2; exit 2; }
[[ -x $stress ]] || { echo "$0: $stress is not executable (build the release preset, or set STRESS)" >&2; exit 2; }

mkdir -p "$out"
# An earlier campaign's reports would otherwise be merged with this one's.
rm -f "$out"/shard-*.json "$out"/shard-*.log "$out"/merged.json "$out"/merged.xml

echo "$0: $n shards of: $stress $*  (reports and logs in $out)"
running=0
for ((i = 0; i < n; i++)); do
  if ((running >= jobs)); then
    # A shard's exit code is also in its report, which merge reads: no need to keep it here.
    wait -n || true
    running=$((running - 1))
  fi
  "$stress" --shard "$i/$n" "$@" --json "$out/shard-$i.json" >"$out/shard-$i.log" 2>&1 &
  running=$((running + 1))
done
wait

# A shard that wrote no report (a usage error, or killed before it could write one): show why,
# then let merge name it missing.
for ((i = 0; i < n; i++)); do
  if [[ ! -f $out/shard-$i.json ]]; then
    echo "$0: shard $i/$n wrote no report; the end of $out/shard-$i.log:" >&2
    tail -n 20 "$out/shard-$i.log" >&2
  fi
done

code=0
"$stress" merge "$out"/shard-*.json --json "$out/merged.json" --junit "$out/merged.xml" || code=$?
exit "$code"
