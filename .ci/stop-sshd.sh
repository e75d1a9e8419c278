#!/usr/bin/env bash
# Stop the server .ci/start-sshd.sh started (same BASE): only that one, by its pid file.
BASE=${BASE:-/tmp/snakebook-sshd}
if [ -f "$BASE/sshd.pid" ]; then
  pid=$(cat "$BASE/sshd.pid")
  kill "$pid" 2>/dev/null && echo "[stop-sshd] stopped sshd ($pid)"
  rm -f "$BASE/sshd.pid"
fi
exit 0
