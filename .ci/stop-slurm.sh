#!/usr/bin/env bash
# Stop everything .ci/start-slurm.sh started, each daemon by its pid file. --wipe also deletes the state
# and the /etc/slurm links.
set -uo pipefail
BASE=${BASE:-/tmp/slurm-localhost}; STATE=$BASE/state
if [ -f "$STATE/slurmctld.pid" ] && command -v scancel >/dev/null; then
  timeout 10 scancel --quiet --user "$(id -un)" 2>/dev/null || true   # no job left running
fi
for pf in slurmd.pid slurmctld.pid slurmdbd.pid mysqld.pid munge/munged.pid; do
  f=$STATE/$pf
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { echo "pid $pid ($pf) still alive, SIGKILL"; kill -9 "$pid"; }
    echo "stopped $pf ($pid)"
  fi
  rm -f "$f"
done
if [ "${1:-}" = "--wipe" ]; then
  rm -rf "$STATE" "$BASE/etc" "$BASE/lib"
  for f in slurm.conf gres.conf slurmdbd.conf; do
    [ -L "/etc/slurm/$f" ] && rm -f "/etc/slurm/$f"
  done
  echo "wiped $STATE"
fi
exit 0
