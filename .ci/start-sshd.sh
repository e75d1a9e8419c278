#!/usr/bin/env bash
# Start a throw-away OpenSSH server on 127.0.0.1 for tests/test_ssh.py (profiles/ssh through real ssh).
#   bash .ci/start-sshd.sh          BASE=/tmp/snakebook-sshd, a spare port, aliases ws1 ws2
# Writes $BASE/ssh_config with one alias per name in HOSTS (all pointing at this server, as this user, with a
# fresh key pair made here), so `ssh -F $BASE/ssh_config ws1 true` works without a password; and $BASE/env
# (SNAKEBOOK_SSH_CONFIG=...) for the tests. Never touches ~/.ssh. Installs Debian's openssh-server when it
# is missing (as root). Stop with .ci/stop-sshd.sh (same BASE). Adapted from shared/reference/sshd-localhost.
set -euo pipefail
BASE=${BASE:-/tmp/snakebook-sshd}; HOSTS=${HOSTS:-"ws1 ws2"}
if [ ! -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq openssh-server >/dev/null
  else
    echo "start-sshd: openssh-server is not installed (apt-get install -y openssh-server)" >&2; exit 1
  fi
fi
# A spare port on 127.0.0.1 unless PORT is given.
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
[ -f "$BASE/sshd.pid" ] && kill "$(cat "$BASE/sshd.pid")" 2>/dev/null || true   # a previous run's server
rm -rf "$BASE"; mkdir -p "$BASE"; chmod 700 "$BASE"
ssh-keygen -q -t ed25519 -N '' -f "$BASE/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$BASE/userkey" -C snakebook-test
cp "$BASE/userkey.pub" "$BASE/authorized_keys"; chmod 600 "$BASE/authorized_keys"
cat > "$BASE/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $BASE/hostkey
PidFile $BASE/sshd.pid
AuthorizedKeysFile $BASE/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxStartups 50:30:100
MaxSessions 50
AcceptEnv SNAKEBOOK_*
CONF
: > "$BASE/ssh_config"
for h in $HOSTS; do
  cat >> "$BASE/ssh_config" <<CONF
Host $h
  HostName 127.0.0.1
  Port $PORT
  User $(id -un)
  IdentityFile $BASE/userkey
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile $BASE/known_hosts
  ConnectTimeout 5
  BatchMode yes
CONF
done
mkdir -p /run/sshd
/usr/sbin/sshd -f "$BASE/sshd_config" -E "$BASE/sshd.log"
first=${HOSTS%% *}
for i in $(seq 50); do ssh -F "$BASE/ssh_config" "$first" true 2>/dev/null && break; sleep 0.1; done
ssh -F "$BASE/ssh_config" "$first" true || { cat "$BASE/sshd.log" >&2; exit 1; }
echo "SNAKEBOOK_SSH_CONFIG=$BASE/ssh_config" > "$BASE/env"
echo "[start-sshd] sshd on 127.0.0.1:$PORT (pid $(cat "$BASE/sshd.pid")); aliases: $HOSTS;" \
  "ssh -F $BASE/ssh_config <alias>"
