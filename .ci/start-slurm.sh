#!/usr/bin/env bash
# Start a real single-node SLURM cluster for tests/test_slurm.py: munge, slurmctld, slurmd with two fake
# GPUs as gres, [MariaDB + slurmdbd]. No systemd; every daemon on 127.0.0.1; all state under $BASE.
# Idempotent. Adapted from shared/reference/slurm-localhost (see its README for the traps).
#   WITH_DBD=0 (default)  no accounting database: fast; jobs are recorded in $BASE/state/log/jobcomp.log
#                         and the test uses `--slurm-status-command squeue`.
#   WITH_DBD=1            also MariaDB + slurmdbd, so sacct/sacctmgr work as on a real cluster (slower).
#   FAKE_CPUS=N           advertise N CPUs instead of the machine's own.
# Test settings it prints at the end: partition `debug`, account `local`.
# Stop with .ci/stop-slurm.sh [--wipe].
set -euo pipefail
T0=$(date +%s)
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/tmp/slurm-localhost}
STATE=$BASE/state; ETC=$BASE/etc; LOG=$STATE/log
WITH_DBD=${WITH_DBD:-0}
ACCOUNT=${ACCOUNT:-local}
NODE=$(hostname -s)
MUNGE_SOCK=$STATE/munge/munge.socket.2
log() { echo "[start-slurm +$(( $(date +%s) - T0 ))s] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
die() { echo "[start-slurm] ERROR: $*" >&2; for f in "$LOG"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

# 1. packages (no-op when present)
PKGS="slurmctld slurmd slurm-client munge"
[ "$WITH_DBD" = 1 ] && PKGS="$PKGS slurmdbd mariadb-server gcc libc6-dev"
MISSING=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$MISSING" ]; then
  log "installing: $(echo $MISSING)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $MISSING >/dev/null
fi

mkdir -p "$ETC" "$LOG" "$STATE"/{slurmctld,slurmd,dev,munge}
chmod 755 "$STATE/munge"   # munged wants an all-executable socket dir

# 2. munge on a private socket
[ -f "$STATE/munge/munge.key" ] || { mungekey -c -k "$STATE/munge/munge.key"; chmod 600 "$STATE/munge/munge.key"; }
if ! alive "$STATE/munge/munged.pid"; then
  munged -S "$MUNGE_SOCK" --key-file="$STATE/munge/munge.key" --log-file="$STATE/munge/munged.log" \
         --pid-file="$STATE/munge/munged.pid" --seed-file="$STATE/munge/munged.seed"
fi
munge -S "$MUNGE_SOCK" -n | unmunge -S "$MUNGE_SOCK" >/dev/null || die "munge does not work"
log "munged ok"

# 3. fake GPUs: gres/gpu needs File= to be a character device -> symlinks to /dev/null
ln -sfn /dev/null "$STATE/dev/nvidia0"; ln -sfn /dev/null "$STATE/dev/nvidia1"

# 4. config
if [ -n "${FAKE_CPUS:-}" ]; then
  NODEHW="CPUs=$FAKE_CPUS"; OVERRIDE="SlurmdParameters=config_overrides"
else
  NODEHW=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=.*//'); OVERRIDE=""
fi
MEM=$(( $(slurmd -C | head -1 | sed 's/.*RealMemory=\([0-9]*\).*/\1/') * 9 / 10 ))
if [ "$WITH_DBD" = 1 ]; then
  ACCT="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
AccountingStoragePass=$MUNGE_SOCK
AccountingStorageTRES=gres/gpu"
else
  ACCT="AccountingStorageType=accounting_storage/none"
fi
cat > "$ETC/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.log
$ACCT
GresTypes=gpu
$OVERRIDE
NodeName=$NODE NodeAddr=127.0.0.1 $NODEHW RealMemory=$MEM Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
cat > "$ETC/gres.conf" <<EOF
AutoDetect=off
NodeName=$NODE Name=gpu File=$STATE/dev/nvidia[0-1]
EOF
# The default path is required (trap 2): the slurm-jobstep plugin strips SLURM_CONF before its inner srun,
# and a client without a config falls back to a DNS SRV look-up (which would leave loopback).
mkdir -p /etc/slurm
ln -sfn "$ETC/slurm.conf" /etc/slurm/slurm.conf
ln -sfn "$ETC/gres.conf" /etc/slurm/gres.conf
unset SLURM_CONF

# 5. accounting: MariaDB (127.0.0.1:3306) + slurmdbd (127.0.0.1:6819)
if [ "$WITH_DBD" = 1 ]; then
  if [ ! -d "$STATE/mysql/mysql" ]; then
    mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql" \
      --auth-root-authentication-method=socket --skip-test-db >"$LOG/mysql-install.log" 2>&1
  fi
  if ! alive "$STATE/mysqld.pid"; then
    setsid nohup mariadbd --no-defaults --user=root --datadir="$STATE/mysql" --socket="$STATE/mysqld.sock" \
      --bind-address=127.0.0.1 --port=3306 --pid-file="$STATE/mysqld.pid" \
      --log-error="$LOG/mysqld.err" --innodb-buffer-pool-size=64M >/dev/null 2>&1 < /dev/null &
  fi
  for i in $(seq 60); do mariadb --no-defaults -S "$STATE/mysqld.sock" -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb --no-defaults -S "$STATE/mysqld.sock" -u root -e "
    CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
  log "mariadb ok"
  cat > "$ETC/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdHost=$NODE
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
DebugLevel=info
LogFile=$LOG/slurmdbd.log
PidFile=$STATE/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$ETC/slurmdbd.conf"
  ln -sfn "$ETC/slurmdbd.conf" /etc/slurm/slurmdbd.conf
  # slurmdbd 22.05 always binds 0.0.0.0 -> an LD_PRELOAD shim rewrites it to 127.0.0.1
  mkdir -p "$BASE/lib"
  [ -f "$BASE/lib/bind_lo.so" ] || gcc -shared -fPIC -O2 -o "$BASE/lib/bind_lo.so" "$HERE/slurm-bind-lo.c" -ldl
  alive "$STATE/slurmdbd.pid" || LD_PRELOAD="$BASE/lib/bind_lo.so" slurmdbd
  for i in $(seq 60); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
  log "slurmdbd ok"
fi

# 6. slurmctld + slurmd (daemon mode; they write their pid files)
alive "$STATE/slurmctld.pid" || slurmctld
for i in $(seq 60); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
scontrol ping 2>/dev/null | grep -q UP || die "slurmctld does not answer"
alive "$STATE/slurmd.pid" || slurmd
for i in $(seq 120); do
  st=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
  case "$st" in idle|mixed|allocated) break;; drain*|inval*|down*) scontrol update nodename="$NODE" state=resume || true;; esac
  sleep 0.5
done
st=$(sinfo -h -n "$NODE" -o '%T %G' 2>/dev/null || true)
case "$st" in idle*|mixed*|allocated*) log "node state: $st";; *) die "node $NODE is not usable: '$st'";; esac

# 7. account for the submitting user (the snakemake plugin checks it with sacctmgr when it can)
if [ "$WITH_DBD" = 1 ]; then
  sacctmgr -n list account "$ACCOUNT" format=account | grep -q . || sacctmgr -i add account "$ACCOUNT" >/dev/null
  sacctmgr -n -s list user "$(id -un)" format=account | grep -qw "$ACCOUNT" || sacctmgr -i add user "$(id -un)" account="$ACCOUNT" >/dev/null
fi

# 8. smoke test: a batch job with a gres GPU
JID=$(cd "$STATE" && sbatch --parsable --gres=gpu:1 -t 1 -o "$LOG/smoke.out" --wrap 'echo CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-unset}')
for i in $(seq 120); do scontrol show job "$JID" 2>/dev/null | grep -q 'JobState=COMPLETED' && break; sleep 0.5; done
grep -q 'CUDA_VISIBLE_DEVICES=[0-9]' "$LOG/smoke.out" 2>/dev/null || die "smoke job $JID did not get a GPU: $(cat "$LOG/smoke.out" 2>/dev/null)"
log "sbatch --gres=gpu:1 job $JID: $(cat "$LOG/smoke.out")"
log "ready: partition debug, account $ACCOUNT, accounting $([ "$WITH_DBD" = 1 ] && echo slurmdbd || echo 'none (use --slurm-status-command squeue)')"
