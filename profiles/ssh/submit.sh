#!/usr/bin/env bash
# cluster-generic submit command for profiles/ssh: start one Snakemake job script on a workstation.
#   submit.sh JOBSCRIPT    -> prints the job id HOST:PID
# The GPUs the job needs (resources: gpu) are read from the job script's `# properties = {...}` line.
# Workstations come from $SNAKEBOOK_HOSTS or profiles/ssh/hosts (`HOST GPUS` per line), taken in turn.
# A GPU job takes a free GPU slot of its workstation (a lock file per GPU under /tmp) and waits on that
# workstation until one is free; CUDA_VISIBLE_DEVICES tells the job which GPU it has. The job reports
# success or failure through Snakemake's marker files on the shared filesystem.
set -euo pipefail
jobscript=$(readlink -f "${!#}")
read -r gpus name < <(sed -n 's/^# properties = //p' "$jobscript" | python3 -c '
import json, sys
job = json.load(sys.stdin)
print(int(job.get("resources", {}).get("gpu") or 0), job.get("rule") or "group")')
here=$(cd "$(dirname "$0")" && pwd)
hosts_file=${SNAKEBOOK_HOSTS:-$here/hosts}
[ -f "$hosts_file" ] || { echo "submit.sh: no workstation list: create $here/hosts (see hosts.example) or set SNAKEBOOK_HOSTS" >&2; exit 1; }
mapfile -t hosts < <(grep -v '^\s*\(#\|$\)' "$hosts_file")
[ ${#hosts[@]} -gt 0 ] || { echo "submit.sh: $hosts_file lists no workstation" >&2; exit 1; }

# next workstation in turn (a counter shared by all submissions of this working directory)
mkdir -p .snakemake/ssh
exec 8>.snakemake/ssh/turn.lock; flock 8
turn=$(cat .snakemake/ssh/turn 2>/dev/null || echo 0); echo $(( turn + 1 )) > .snakemake/ssh/turn
exec 8>&-
read -r host host_gpus <<<"${hosts[$(( turn % ${#hosts[@]} ))]}"
host_gpus=${host_gpus:-1}
log=$PWD/.snakemake/ssh/$name-$(date +%s%N).log

# what runs on the workstation: take a GPU slot when the job needs one, then the job script
remote=$(cat <<REMOTE
cd $(printf %q "$PWD") || exit 1
if [ "$gpus" -gt 0 ]; then
  slot=
  for g in \$(seq 0 $(( host_gpus - 1 ))); do
    exec 9>/tmp/snakebook-gpu\$g.lock
    if flock -n 9; then slot=\$g; break; fi
    exec 9>&-
  done
  if [ -z "\$slot" ]; then  # all busy: wait for this job's turn on one of them
    slot=$(( turn % host_gpus )); exec 9>/tmp/snakebook-gpu\$slot.lock; flock 9
  fi
  export CUDA_VISIBLE_DEVICES=\$slot
fi
exec bash $(printf %q "$jobscript")
REMOTE
)
launch="nohup setsid bash -c $(printf %q "$remote") > $(printf %q "$log") 2>&1 < /dev/null & echo \$!"
if [ "$host" = localhost ]; then
  pid=$(bash -c "$launch")
else
  pid=$(ssh -o BatchMode=yes -o ConnectTimeout=10 "$host" "$launch")
fi
echo "$host:$pid"
