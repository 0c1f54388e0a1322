# launch.sh — a real Azurite blob service (the Azure Storage emulator, installed here by
# make test-deps with npm ci) for the tests and the benchmarks; sourced.
#
#   azurite_launch DIR LOG [ARG...]  starts azurite-blob on 127.0.0.1 on a free port with
#                                    its data in DIR and its output in LOG, ARGs added
#                                    (--cert, --oauth ...); sets AZURITE_PID and
#                                    AZURITE_PORT once it listens (30 s at most), or
#                                    returns 1 with AZURITE_PORT empty
#   azurite_clean_env                unsets the Azure and azdedup variables a caller's
#                                    environment may hold, so a run sees only its own
AZURITE="$TOP/tests/azurite/node_modules/.bin/azurite-blob"

azurite_launch() {
	_dir=$1
	_log=$2
	shift 2
	mkdir -p "$_dir"
	: > "$_log"
	"$AZURITE" --blobHost 127.0.0.1 --blobPort 0 --location "$_dir" --silent \
		--disableTelemetry --skipApiVersionCheck "$@" > "$_log" 2>&1 &
	AZURITE_PID=$!
	AZURITE_PORT=
	_i=0
	while [ $_i -lt 300 ]; do
		AZURITE_PORT=$(sed -n 's|.*listens on https*://127.0.0.1:\([0-9]*\).*|\1|p' "$_log")
		[ -n "$AZURITE_PORT" ] && return 0
		kill -0 "$AZURITE_PID" 2> /dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

azurite_clean_env() {
	unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY \
		AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_TOKEN AZURE_STORAGE_TOKEN_FILE \
		AZDEDUP_SRC AZDEDUP_DST AZDEDUP_RETRIES AZDEDUP_RATE AZDEDUP_STALL \
		AZDEDUP_PAGE_SIZE AZDEDUP_READ_ROOTS http_proxy https_proxy HTTP_PROXY \
		HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY 2> /dev/null || true
}
