#!/usr/bin/env bash
# Time to detection of examples/lockfree_pool's two bugs (ABA pop, check-then-act cap) by its own
# `stress` with the default settings (10 s, rounds drawn with and without point noise), and with
# point noise off, over seeds 1..N: how many runs caught it (a violation, or a crash the crash guard
# reported) and each run's seconds of rounds until then ("-": clean after 10 s). Then the default
# deterministic search (100 schedules) of program seed 1..N (`--deterministic --seed N`): how many
# searches caught it, the schedules each ran until then and the strategy of the failing one
# ("-": clean after 100).
# Usage: bench/run_example_detection.sh EXAMPLES_BUILD_DIR [N]   (e.g. build/release/examples 10)
set -euo pipefail
dir=${1:?usage: bench/run_example_detection.sh EXAMPLES_BUILD_DIR [N]}
n=${2:-10}
[[ -x $dir/lockfree_pool/lockfree_stress_aba ]] || { echo "no lockfree_stress_aba under $dir/lockfree_pool" >&2; exit 2; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for bug in cap_race aba; do
  for noise in drawn off; do
    caught=0 times=""
    for ((seed = 1; seed <= n; ++seed)); do
      args=(--seed "$seed" --quiet --json "$json")
      [[ $noise == off ]] && args+=(--noise off)
      rc=0
      "$dir/lockfree_pool/lockfree_stress_$bug" "${args[@]}" >/dev/null 2>&1 || rc=$?
      t=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print('%.1f' % sum(r['seconds'] for r in j.get('rounds', [])))" "$json" 2>/dev/null || echo "?")
      if ((rc == 1)); then caught=$((caught + 1)); times+=" $t"
      elif ((rc >= 128)); then caught=$((caught + 1)); times+=" crash"
      else times+=" -"; fi
    done
    echo "$bug noise=$noise: caught $caught/$n, seconds:$times"
  done
done
for bug in cap_race aba; do
  caught=0 schedules="" strategies=""
  for ((seed = 1; seed <= n; ++seed)); do
    rc=0
    "$dir/lockfree_pool/lockfree_stress_$bug" --deterministic --seed "$seed" --quiet --json "$json" >/dev/null 2>&1 || rc=$?
    read -r count strategy < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1])).get('rounds', []); print(len(r), r[-1]['strategy'] if r else '?')" "$json" 2>/dev/null || echo "? ?")
    if ((rc == 1)); then caught=$((caught + 1)); schedules+=" $count"; strategies+=" $strategy"
    else schedules+=" -"; fi
  done
  echo "$bug deterministic: caught $caught/$n, schedules:$schedules, failing strategy:$strategies"
done
