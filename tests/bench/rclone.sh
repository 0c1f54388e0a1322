# rclone.sh — rclone next to Azurite for the bench scripts (sourced after lib.sh).
#
#   bench_rclone URL   URL: http://127.0.0.1:PORT/devstoreaccount1 of a running Azurite.
#                      Installs Debian's rclone when it is missing (as root, or through
#                      sudo -n), then sets HAVE_RCLONE (yes/no), RCV (its version or
#                      "missing") and, with it, the remote AZ: for that account (rclone
#                      AZ:CONTAINER), with no config file.
#
# Debian's rclone (1.60) joins its "endpoint" option as a host suffix
# (https://ACCOUNT.ENDPOINT), which cannot name a path-style http emulator on a free port,
# and use_emulator is fixed to 127.0.0.1:10000.  So it gets an account SAS URL for
# devstoreaccount1, signed here with the emulator's published key; rclone then talks to
# this Azurite exactly as to any account.
bench_rclone() {
	if ! command -v rclone > /dev/null; then
		_sudo=
		[ "$(id -u)" = 0 ] || _sudo="sudo -n"
		{ $_sudo apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq --no-install-recommends rclone; } \
			> /dev/null 2>&1 || true
	fi
	HAVE_RCLONE=no
	RCV=missing
	command -v rclone > /dev/null || return 0
	HAVE_RCLONE=yes
	# the emulator's published key for devstoreaccount1 (our tools use it by default)
	_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
	_hex=$(printf %s "$_key" | base64 -d | od -An -tx1 -v | tr -d ' \n')
	_sv=2019-12-12
	_se=2099-01-01T00:00:00Z
	# the account SAS string to sign (versions before 2020-12-06), newline-terminated
	_sig=$(printf 'devstoreaccount1\nracwdl\nb\nsco\n\n%s\n\n\n%s\n' "$_se" "$_sv" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$_hex" -binary | base64 |
		sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
	RCLONE_CONFIG_AZ_TYPE=azureblob
	RCLONE_CONFIG_AZ_SAS_URL="$1?sv=$_sv&ss=b&srt=sco&sp=racwdl&se=$_se&sig=$_sig"
	RCLONE_CONFIG=/dev/null  # no "config file not found" notice
	export RCLONE_CONFIG_AZ_TYPE RCLONE_CONFIG_AZ_SAS_URL RCLONE_CONFIG
	RCV=$(rclone version | sed -n '1s/^rclone //p')
}
