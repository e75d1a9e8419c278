# Shared by submit.sh, status.sh and cancel.sh (sourced): how to reach a workstation.
#   SNAKEBOOK_HOSTS        the workstation list (default: hosts next to this file; see hosts.example)
#   SNAKEBOOK_SSH_CONFIG   an ssh config file to use instead of ~/.ssh/config (ssh -F)
#   SNAKEBOOK_SSH_TIMEOUT  seconds to wait for a workstation to answer (default 10): never a hang
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hosts_file=${SNAKEBOOK_HOSTS:-$here/hosts}
ssh_cmd=(ssh -o BatchMode=yes -o ConnectTimeout="${SNAKEBOOK_SSH_TIMEOUT:-10}" -o LogLevel=ERROR
         -o ServerAliveInterval=5 -o ServerAliveCountMax=2)
[ -n "${SNAKEBOOK_SSH_CONFIG:-}" ] && ssh_cmd+=(-F "$SNAKEBOOK_SSH_CONFIG")

# run_on HOST: run the bash script on stdin on HOST (this machine, without ssh, for `localhost`)
run_on() {
  if [ "$1" = localhost ]; then bash -s; else "${ssh_cmd[@]}" "$1" bash -s; fi
}

# load_hosts: the `HOST GPUS` lines of the hosts file, into the array `hosts`
load_hosts() {
  [ -f "$hosts_file" ] || { echo "snakebook (profiles/ssh): no workstation list: create $here/hosts" \
    "(see hosts.example) or set SNAKEBOOK_HOSTS to a file of \`HOST GPUS\` lines." >&2; exit 1; }
  mapfile -t hosts < <(grep -v '^\s*\(#\|$\)' "$hosts_file")
  [ ${#hosts[@]} -gt 0 ] || { echo "snakebook (profiles/ssh): $hosts_file lists no workstation." >&2; exit 1; }
}
