# slurm.sh — a real single-node Slurm (Debian's slurm-wlm) for a test, sourced after
# lib.sh; needs root (slurmd starts the jobs).  make check-cluster installs slurm-wlm and
# munge.  Everything lives under $T/slurm: a munge key and socket, a generated
# slurm.conf with free ports, the state and spool folders, the logs.
#
#   slurm_start       starts munged, slurmctld and slurmd in the foreground as children
#                     of the test, waits (bounded) for the node to be idle; exports
#                     SLURM_CONF so sbatch, squeue and scontrol find this cluster
#   slurm_wait S IDS  waits at most S seconds for the jobs IDS (comma list) to leave the
#                     queue; on timeout prints the queue, the daemons' logs and returns 1
#   slurm_states IDS  "JobId=... JobState=..." of each job (array tasks one by one)
#   slurm_logs        prints the daemons' logs (for a failure)
#   slurm_stop        cancels what is left, stops the daemons (also done at exit)
. "$TOP/tests/stop.sh"
SL_MUNGED= SL_CTLD= SL_SLURMD=

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

slurm_logs() {
	for f in "$SL/log/slurmctld.log" "$SL/log/slurmd.log" "$SL/log/munged.log" \
	    "$SL/log/slurmctld.out" "$SL/log/slurmd.out"; do
		[ -s "$f" ] || continue
		echo "    --- $f (last 40 lines)"
		tail -n 40 "$f" | sed 's/^/    /'
	done
}

slurm_start() {
	if [ "$(id -u)" != 0 ]; then
		fail "a real Slurm needs root (slurmd starts jobs as their user)"
		finish
	fi
	for p in munged mungekey slurmctld slurmd sbatch squeue scontrol; do
		command -v "$p" > /dev/null 2>&1 && continue
		[ -x "/usr/sbin/$p" ] && continue
		fail "$p is not installed (make check-cluster installs slurm-wlm and munge)"
		finish
	done
	PATH="$PATH:/usr/sbin"
	SL=$T/slurm
	mkdir -p "$SL/munge" "$SL/sock" "$SL/state" "$SL/spool" "$SL/log" || { fail "mkdir $SL"; finish; }
	chmod 700 "$SL/munge" && chmod 755 "$SL/sock" "$T" "$SL"
	mungekey -c -b 1024 -k "$SL/munge/munge.key" 2> "$SL/log/mungekey.out" ||
		{ fail "mungekey"; cat "$SL/log/mungekey.out"; finish; }
	munged -F -f --socket="$SL/sock/munge.socket" --key-file="$SL/munge/munge.key" \
		--pid-file="$SL/munge/munged.pid" --seed-file="$SL/munge/munged.seed" \
		--log-file="$SL/log/munged.log" > "$SL/log/munged.out" 2>&1 &
	SL_MUNGED=$!
	_i=0
	while [ ! -S "$SL/sock/munge.socket" ] && [ $_i -lt 100 ] && kill -0 "$SL_MUNGED" 2> /dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -S "$SL/sock/munge.socket" ] || { fail "munged did not start"; cat "$SL/log/munged.out"; finish; }
	_host=$(hostname -s)
	: > "$SL/plugstack.conf"
	cat > "$SL/slurm.conf" <<CONF
ClusterName=azdtest
SlurmctldHost=$_host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SL/sock/munge.socket
CredType=cred/munge
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd.pid
SlurmctldLogFile=$SL/log/slurmctld.log
SlurmdLogFile=$SL/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
MinJobAge=3600
DependencyParameters=kill_invalid_depend
PlugStackConfig=$SL/plugstack.conf
NodeName=azdnode NodeAddr=127.0.0.1 NodeHostname=$_host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=azd Nodes=azdnode Default=YES MaxTime=INFINITE State=UP
CONF
	SLURM_CONF=$SL/slurm.conf
	export SLURM_CONF
	slurmctld -D -i -f "$SLURM_CONF" > "$SL/log/slurmctld.out" 2>&1 &
	SL_CTLD=$!
	slurmd -D -N azdnode -f "$SLURM_CONF" > "$SL/log/slurmd.out" 2>&1 &
	SL_SLURMD=$!
	trap 'slurm_stop; az_stop; rm -rf "$T"' EXIT
	# the node is up when sinfo says idle (bounded: 60 s)
	_i=0
	while [ $_i -lt 600 ]; do
		[ "$(sinfo -h -n azdnode -o %T 2> /dev/null)" = idle ] && return 0
		kill -0 "$SL_CTLD" 2> /dev/null && kill -0 "$SL_SLURMD" 2> /dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	fail "slurm did not come up (node: $(sinfo -h -n azdnode -o %T 2>&1))"
	slurm_logs
	finish
}

slurm_wait() {  # SECONDS IDS
	_end=$(($(date +%s) + $1))
	while [ -n "$(squeue -h -j "$2" -o %i 2>&1)" ]; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "    jobs $2 still queued after $1 s:"
			squeue -j "$2" 2>&1 | sed 's/^/    /'
			slurm_logs
			return 1
		fi
		sleep 0.5
	done
	return 0
}

slurm_states() {  # IDS (comma list)
	echo "$1" | tr ',' '\n' | while read -r _j; do
		scontrol -o show job "$_j" 2>&1 | sed 's/^\(JobId=[0-9]*\).* \(JobState=[A-Z_]*\).*/\1 \2/'
	done
}

slurm_stop() {
	if [ -n "$SL_CTLD" ]; then
		scancel -u root > /dev/null 2>&1 || true
		# what was cancelled leaves the queue within seconds (bounded: 20 s)
		_i=0
		while [ $_i -lt 40 ] && [ -n "$(squeue -h -o %i 2> /dev/null)" ]; do
			sleep 0.5
			_i=$((_i + 1))
		done
	fi
	stop_proc "$SL_SLURMD"
	stop_proc "$SL_CTLD"
	stop_proc "$SL_MUNGED"
	SL_SLURMD= SL_CTLD= SL_MUNGED=
}
