# stop.sh — stop_proc PID: ends a background child of the sourcing shell (Azurite, a
# proxy) and reaps it, without hanging.  TERM first; a process still running after
# five seconds (Azurite can sit in its graceful shutdown for ever) gets KILL.  Safe
# under set -e: nothing in it fails the caller.
stop_proc() {
	[ -n "$1" ] || return 0
	kill "$1" 2> /dev/null || { wait "$1" 2> /dev/null || true; return 0; }
	_sp=0
	# a child that has exited stays a zombie until waited for: state Z counts as gone
	while [ $_sp -lt 50 ] && [ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; do
		sleep 0.1
		_sp=$((_sp + 1))
	done
	kill -9 "$1" 2> /dev/null || true
	wait "$1" 2> /dev/null || true
	return 0
}
