#!/usr/bin/env bash
# cluster-generic cancel command for profiles/ssh: cancel.sh HOST:TOKEN:PID... (Ctrl-C of Snakemake)
# Stops each job's process group on its workstation (the wrapper runs in its own session: setsid).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
for id in "$@"; do
  IFS=: read -r host token pid <<<"$id"
  echo "kill -TERM -- -$pid 2>/dev/null; true" | run_on "$host" || echo "could not reach $host to cancel $token" >&2
done
exit 0
