#!/bin/bash
# A one-node Slurm cluster on this machine, for trying deploy/slurm/tfsweep.sbatch (and for the tests):
#   sudo deploy/slurm/local-cluster.sh start      # prints: export SLURM_CONF=…
#   SLURM_CONF=… sbatch --array=0-2 deploy/slurm/tfsweep.sbatch sweeps/mnist-quick.yaml
#   sudo deploy/slurm/local-cluster.sh stop
# Needs Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge) and root. Everything it writes is
# under $TFSWEEP_SLURM_DIR (default /tmp/tfsweep-slurm).
set -euo pipefail
DIR=${TFSWEEP_SLURM_DIR:-/tmp/tfsweep-slurm}
CONF=$DIR/slurm.conf

start() {
  command -v slurmctld >/dev/null || { echo "slurmctld not found: apt-get install -y slurm-wlm munge" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "run as root (the daemons run as root here)" >&2; exit 1; }
  mkdir -p "$DIR"/{state,spool,log,run}
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  pgrep -x munged >/dev/null || runuser -u munge -- munged
  local host ports
  host=$(hostname -s)
  ports=${TFSWEEP_SLURM_PORTS:-16817}
  cat >"$CONF" <<CONF
ClusterName=tfsweep
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$ports
SlurmdPort=$((ports + 1))
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  slurmctld -f "$CONF"
  slurmd -f "$CONF"
  for _ in $(seq 1 50); do
    if SLURM_CONF=$CONF sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.2
  done
  echo "the node did not come up; see $DIR/log" >&2
  exit 1
}

stop() {
  for pidfile in "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
