#!/usr/bin/env bash
# cluster-generic status command for profiles/ssh: status.sh HOST:TOKEN:PID -> running | success | failed
# Asks the workstation whether the job's wrapper still runs, else reads the exit code it recorded. A
# workstation that does not answer three checks in a row counts as lost: the job is reported failed, with why.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
IFS=: read -r host token pid <<<"$1"
misses=.snakemake/ssh/$token.unanswered
answer=$(run_on "$host" 2>/dev/null <<SCRIPT
cd $(printf %q "$PWD") 2>/dev/null || { echo gone; exit 0; }
if kill -0 $pid 2>/dev/null; then echo running
elif [ -f .snakemake/ssh/$token.rc ]; then [ "\$(cat .snakemake/ssh/$token.rc)" = 0 ] && echo success || echo failed
else echo gone; fi
SCRIPT
)
case "$answer" in
  running|success) rm -f "$misses"; echo "$answer" ;;
  failed) rm -f "$misses"; echo failed ;;
  gone) echo "snakebook (profiles/ssh): the job $token on workstation $host stopped without recording an exit" \
        "code (killed, or the workstation restarted); its output is in .snakemake/ssh/$token.log there." >&2
        echo failed ;;
  *) n=$(( $(cat "$misses" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$misses"
     if [ "$n" -ge "${SNAKEBOOK_SSH_STATUS_TRIES:-3}" ]; then
       echo "snakebook (profiles/ssh): workstation $host did not answer $n status checks in a row (ssh with a" \
         "${SNAKEBOOK_SSH_TIMEOUT:-10} s timeout), so its job $token counts as lost. Check the workstation and" \
         "the network; running the same command again redoes only what is missing (finished sentences come" \
         "from the cache)." >&2
       echo failed
     else
       echo running
     fi ;;
esac
