# azurite.sh — start and stop a real Azurite (the Azure Storage emulator) for a test.
# Sourced after lib.sh.  make test-deps (make check) installs it into tests/azurite with npm ci.
#
#   az_start       starts azurite-blob on 127.0.0.1 on a free port, data in $T/azurite;
#                  sets AZ_PORT, AZ (http://127.0.0.1:PORT/devstoreaccount1), AZ_PID
#   az_stop        stops it (also done at exit)
. "$TOP/tests/stop.sh"
AZURITE="$TOP/tests/azurite/node_modules/.bin/azurite-blob"
AZ_PID=

az_start() {
	if [ ! -x "$AZURITE" ]; then
		fail "azurite is not installed in tests/azurite (run make test-deps)"
		finish
	fi
	mkdir -p "$T/azurite"
	: > "$T/azurite.log"
	"$AZURITE" --blobHost 127.0.0.1 --blobPort 0 --location "$T/azurite" --silent \
		--disableTelemetry --skipApiVersionCheck > "$T/azurite.log" 2>&1 &
	AZ_PID=$!
	_i=0
	AZ_PORT=
	while [ $_i -lt 300 ]; do
		AZ_PORT=$(sed -n 's|.*listens on http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/azurite.log")
		[ -n "$AZ_PORT" ] && break
		if ! kill -0 "$AZ_PID" 2> /dev/null; then
			break
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
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
