# azurite.sh — start and stop a real Azurite (the Azure Storage emulator) for a test.
# Sourced after lib.sh.  make test-deps (make check) installs it into tests/azurite with npm ci.
#
#   az_start       starts azurite-blob on 127.0.0.1 on a free port, data in $T/azurite;
#                  sets AZ_PORT, AZ (http://127.0.0.1:PORT/devstoreaccount1), AZ_PID
#   az_stop        stops it (also done at exit)
. "$TOP/tests/stop.sh"
. "$TOP/tests/azurite/launch.sh"
AZ_PID=

az_start() {
	if [ ! -x "$AZURITE" ]; then
		fail "azurite is not installed in tests/azurite (run make test-deps)"
		finish
	fi
	azurite_launch "$T/azurite" "$T/azurite.log" || true
	AZ_PID=$AZURITE_PID
	AZ_PORT=$AZURITE_PORT
	if [ -z "$AZ_PORT" ]; then
		fail "azurite did not start"
		sed 's/^/    /' "$T/azurite.log"
		finish
	fi
	AZ="http://127.0.0.1:$AZ_PORT/devstoreaccount1"
	trap 'az_stop; rm -rf "$T"' EXIT
}

az_stop() {
	if [ -n "$AZ_PID" ]; then
		stop_proc "$AZ_PID"
		AZ_PID=
	fi
}
