#!/usr/bin/env bash
# cluster-generic submit command for profiles/ssh: start one Snakemake job script on a workstation over ssh.
#   submit.sh JOBSCRIPT    -> prints the job id HOST:TOKEN:PID (status.sh and cancel.sh take it)
# The GPUs the job needs (resources: gpu) are read from the job script's `# properties = {...}` line.
# Workstations come from the hosts file (`HOST GPUS` per line, see common.sh), taken in turn, one turn per GPU
# (a workstation with 2 GPUs gets twice the jobs of one with 1). On the workstation a GPU job takes a free GPU
# slot (a lock file per GPU under /tmp, held for the job's life, so released even when it is killed) and waits
# there until one is free; CUDA_VISIBLE_DEVICES tells the job which GPU it has. The job's output and exit
# code go to .snakemake/ssh/TOKEN.{log,rc} in the project folder on the workstation (shared filesystem).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
jobscript=$(readlink -f "${!#}")
read -r gpus name < <(sed -n 's/^# properties = //p' "$jobscript" | python3 -c '
import json, sys
job = json.load(sys.stdin)
print(int(job.get("resources", {}).get("gpu") or 0), job.get("rule") or job.get("groupid") or "group")')
load_hosts

# the turn list: one entry per GPU, round by round (ws1 ws2 ws1 for `ws1 2`, `ws2 1`); CPU-only hosts once,
# and only for jobs without a GPU
turns=()
for round in 0 1 2 3 4 5 6 7; do
  for line in "${hosts[@]}"; do
    read -r h n <<<"$line"; n=${n:-1}
    if [ "$gpus" -gt 0 ]; then [ "$round" -lt "$n" ] && turns+=("$h $n"); else [ "$round" = 0 ] && turns+=("$h $n"); fi
  done
done
[ ${#turns[@]} -gt 0 ] || { echo "snakebook (profiles/ssh): job $name needs $gpus GPU(s) but no workstation in" \
  "$hosts_file has a GPU (the second column of a line is its number of GPUs)." >&2; exit 1; }
mkdir -p .snakemake/ssh
exec 8>.snakemake/ssh/turn.lock; flock 8
turn=$(cat .snakemake/ssh/turn 2>/dev/null || echo 0); echo $(( turn + 1 )) > .snakemake/ssh/turn
exec 8>&-
read -r host host_gpus <<<"${turns[$(( turn % ${#turns[@]} ))]}"
token=$name-$(date +%s%N)-$$

# the job's wrapper on the workstation: take a GPU slot, log where it runs, run the job, record its exit code
body=$(cat <<'BODY'
stamp() { date +%s.%N; }
export SNAKEBOOK_WORKSTATION=$alias
slot=
if [ "$gpus" -gt 0 ]; then
  lockdir=${TMPDIR:-/tmp}/snakebook-ssh-gpus-$alias; mkdir -p "$lockdir"
  while [ -z "$slot" ]; do   # a free slot of this workstation, or wait for one
    for g in $(seq 0 $(( host_gpus - 1 ))); do
      exec 9>"$lockdir/gpu$g.lock"
      if flock -n 9; then slot=$g; break; fi
      exec 9>&-
    done
    [ -n "$slot" ] || sleep 1
  done
  export CUDA_VISIBLE_DEVICES=$slot SNAKEBOOK_GPU_LOCK_DIR=$lockdir/slot$slot
fi
conn=${SSH_CONNECTION:--}
echo "job placement: workstation=$alias host=$(hostname) ssh=${conn// /,} gpu_slot=${slot:--} start=$(stamp)"
bash "$jobscript"; rc=$?
echo "job end: workstation=$alias gpu_slot=${slot:--} end=$(stamp) exit=$rc"
echo "$rc" > "$rcfile.part" && mv "$rcfile.part" "$rcfile"
exit "$rc"
BODY
)
q() { printf %q "$1"; }
launch="set -u
cd $(q "$PWD") 2>/dev/null || { echo 'no project folder $(q "$PWD") on this workstation'; exit 3; }
mkdir -p .snakemake/ssh
cat > .snakemake/ssh/$token.sh <<'WRAPPER'
alias=$(q "$host") host_gpus=$(q "$host_gpus") gpus=$(q "$gpus") jobscript=$(q "$jobscript")
rcfile=.snakemake/ssh/$token.rc
$body
WRAPPER
nohup setsid bash .snakemake/ssh/$token.sh > .snakemake/ssh/$token.log 2>&1 < /dev/null &
echo \$!"
set +e
out=$(run_on "$host" <<<"$launch" 2> .snakemake/ssh/$token.submit-err); rc=$?
set -e
err=$(tr -s '\r\n' '  ' < .snakemake/ssh/$token.submit-err | sed 's/ *$//'); rm -f .snakemake/ssh/$token.submit-err
if [ $rc -ne 0 ] || ! [[ $out =~ ^[0-9]+$ ]]; then
  echo "snakebook (profiles/ssh): could not start job $name on workstation $host (from $hosts_file):" \
    "${out:+$out; }${err:-ssh exit code $rc}." \
    "Check that \`ssh${SNAKEBOOK_SSH_CONFIG:+ -F $SNAKEBOOK_SSH_CONFIG} $host true\`" \
    "works without a password prompt and that the project folder $PWD exists there, or remove $host from the" \
    "hosts file; then run again (finished chapters and sentences are kept)." >&2
  exit 1
fi
echo "$host:$token:$out"
