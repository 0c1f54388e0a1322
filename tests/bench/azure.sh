#!/bin/sh
# azure.sh — azls/azget/azcp next to rclone against one Azurite (the Azure Storage
# emulator), same machine, same concurrency: listing, downloading many small and a few
# large blobs, and a server-side copy between containers.  Prints a table on stdout.
# Not a test: nothing here passes or fails on speed.  Each step runs once, into a fresh
# destination.  Azurite is a single Node.js process, so the "azurite" column (CPU it used
# during the step, as a fraction of one core) says whether the emulator, not the client,
# set the pace; "host" is the whole machine's busy cores over the step.
#
#   N_SMALL=N    small blobs, 20-60 KiB each (default 10000)
#   N_LARGE=N    large blobs, 2-4 MiB each (default 200)
#   N_COPY=N     blobs in the server-side copy, the first N of the small ones (default
#                2000: Azurite's Copy Blob slows down as the account fills, and all
#                10000 take rclone some 7 minutes on 2 cores)
#   P=N          concurrency: our -P N, rclone --transfers N --checkers N (default 16)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rclone.sh"
N_SMALL=${N_SMALL:-10000}
N_LARGE=${N_LARGE:-200}
N_COPY=${N_COPY:-2000}
P=${P:-16}

bench_azurite azure 0 azls azget azcp


now() { date +%s.%N; }
TCK=$(getconf CLK_TCK)
# CPU seconds Azurite has used so far (utime + stime of /proc/PID/stat, all its threads)
azcpu() {
	sed 's/^.*) //' "/proc/$AZ_PID/stat" | awk -v t="$TCK" '{ printf "%.2f\n", ($12 + $13) / t }'
}
# CPU seconds the whole machine has been busy (everything but idle and iowait)
hostcpu() {
	awk -v t="$TCK" '$1 == "cpu" { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat
}
# count and bytes of the files under a folder, of the blobs in a container
files() { find "$1" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'; }
blobs() { "$BIN/azls" -q --all "$1" | jq -r .size | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'; }

# settle: the same start for every step: dirty pages written out, Azurite's blob files in
# the page cache (else whichever tool runs first pays for the cold reads)
settle() {
	sync
	find "$T/azurite" -type f -exec cat {} + > /dev/null 2>&1 || true
}

# span CMD...: run CMD, set S (seconds), AC (azurite cores), HC (host cores), RC (exit status)
span() {
	settle
	_c0=$(azcpu); _h0=$(hostcpu); _t0=$(now)
	RC=0
	"$@" || RC=$?
	_t1=$(now); _c1=$(azcpu); _h1=$(hostcpu)
	S=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { s = b - a; if (s <= 0) s = 1e-9; printf "%.3f\n", s }')
	AC=$(awk -v a="$_c0" -v b="$_c1" -v s="$S" 'BEGIN { printf "%.2f\n", (b - a) / s }')
	HC=$(awk -v a="$_h0" -v b="$_h1" -v s="$S" 'BEGIN { printf "%.2f\n", (b - a) / s }')
}

FMT="%-22s %-8s %7s %9s %9s %8s %6s %8s %5s\n"
header() { printf "$FMT" what tool blobs seconds blobs/s MB/s ratio azurite host; }
# row WHAT TOOL BLOBS BYTES SECONDS AZCORES HOSTCORES [RATE_TO_COMPARE]  (BYTES - for none)
row() {
	awk -v w="$1" -v tool="$2" -v n="$3" -v b="$4" -v s="$5" -v ac="$6" -v hc="$7" \
		-v other="${8:-}" -v fmt="$FMT" 'BEGIN {
		r = n / s
		mb = (b == "-") ? "-" : sprintf("%.1f", b / 1e6 / s)
		ratio = (other == "" || other == "-" || other == 0) ? "-" : sprintf("%.2f", r / other)
		printf fmt, w, tool, n, sprintf("%.3f", s), sprintf("%.1f", r), mb, ratio, ac, hc }'
}
skipped() { printf "$FMT" "$1" rclone - - - - - - - | sed 's/ *$/  (rclone missing, skipped)/'; }
warn() { echo "  WARNING: $*"; }
# check WHAT TOOL GOT WANT: GOT and WANT are "count bytes"; a warning row when they differ
check() {
	if [ "$3" != "$4" ]; then
		warn "$1, $2: incomplete: got $3 (blobs bytes), want $4"
	fi
}

# --- setup (not timed) -----------------------------------------------------------------
/usr/bin/python3 - "$T/src" "$N_SMALL" "$N_LARGE" <<'PY'
import os, random, sys
top, ns, nl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1)
for i in range(ns):
    d = os.path.join(top, "small", "f%02d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "img%06d.jpg" % i), "wb") as f:
        f.write(os.urandom(rng.randint(20 << 10, 60 << 10)))
for i in range(nl):
    d = os.path.join(top, "large", "f%d" % (i % 4))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "big%04d.jpg" % i), "wb") as f:
        f.write(os.urandom(rng.randint(2 << 20, 4 << 20)))
PY
SMALL=$(files "$T/src/small")
LARGE=$(files "$T/src/large")

bench_azurite_up azure

"$BIN/azls" -q --all "$T/src/small" | "$BIN/azcp" -q -P 32 "$URL/small" > /dev/null
"$BIN/azls" -q --all "$T/src/large" | "$BIN/azcp" -q -P 32 "$URL/large" > /dev/null
check "setup upload" azcp "$(blobs "$URL/small")" "$SMALL"
check "setup upload" azcp "$(blobs "$URL/large")" "$LARGE"
# the source of the server-side copy: small itself, or its first N_COPY blobs
if [ "$N_COPY" -ge "${SMALL% *}" ]; then
	CSRC=small
	COPY=$SMALL
else
	CSRC=small-part
	"$BIN/azls" -q --all "$T/src/small" | sed -n "1,${N_COPY}p" > "$T/part"
	"$BIN/azcp" -q -P 32 -i "$T/part" "$URL/$CSRC" > /dev/null
	COPY=$(jq -r .size "$T/part" | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }')
	check "setup upload" azcp "$(blobs "$URL/$CSRC")" "$COPY"
fi

# rclone without a config file, on this Azurite (rclone.sh: Debian's package, an account
# SAS signed with the emulator's published key)
bench_rclone "$URL"
# -q: errors only; the stats line and notices would go to stderr
RCLONE="rclone -q --transfers $P --checkers $P"

echo "azdedup vs rclone on Azurite: $N_SMALL small + $N_LARGE large blobs, ${COPY% *} copied;" \
	"-P $P / --transfers $P --checkers $P; rclone $RCV; $(nproc) cores; $(uname -m)"
header

# --- 1. listing -------------------------------------------------------------------------
ns=${SMALL% *}
az_list() { "$BIN/azls" -q --all "$URL/small" > /dev/null; }
span az_list; aS=$S aAC=$AC aHC=$HC aRC=$RC
if [ "$HAVE_RCLONE" = yes ]; then
	rc_list() { $RCLONE lsjson -R AZ:small > /dev/null; }
	span rc_list
	row "list $ns" azdedup "$ns" - "$aS" "$aAC" "$aHC" "$(awk -v n="$ns" -v s="$S" 'BEGIN { print n / s }')"
	row "list $ns" rclone "$ns" - "$S" "$AC" "$HC"
	[ "$RC" = 0 ] || warn "list, rclone: exit status $RC"
else
	row "list $ns" azdedup "$ns" - "$aS" "$aAC" "$aHC"
	skipped "list $ns"
fi
[ "$aRC" = 0 ] || warn "list, azdedup: exit status $aRC"

# --- 2, 3. downloads (our listing is timed with it: rclone lists too) --------------------
# rclone copy to a local folder checks each download against the blob's Content-MD5.
download() {  # CONTAINER WANT("count bytes")
	c=$1 want=$2
	n=${want% *}
	az_get() { "$BIN/azls" -q --all "$URL/$c" | "$BIN/azget" -q -P "$P" -d "$T/out-az" > /dev/null; }
	span az_get; aS=$S aAC=$AC aHC=$HC aRC=$RC
	got_az=$(files "$T/out-az")
	rm -rf "$T/out-az"
	if [ "$HAVE_RCLONE" = yes ]; then
		rc_get() { $RCLONE copy "AZ:$c" "$T/out-rc"; }
		span rc_get
		got_rc=$(files "$T/out-rc")
		rm -rf "$T/out-rc"
		row "download $c" azdedup "$n" "${want#* }" "$aS" "$aAC" "$aHC" \
			"$(awk -v n="$n" -v s="$S" 'BEGIN { print n / s }')"
		row "download $c" rclone "$n" "${want#* }" "$S" "$AC" "$HC"
		[ "$RC" = 0 ] || warn "download $c, rclone: exit status $RC"
		check "download $c" rclone "$got_rc" "$want"
	else
		row "download $c" azdedup "$n" "${want#* }" "$aS" "$aAC" "$aHC"
		skipped "download $c"
	fi
	[ "$aRC" = 0 ] || warn "download $c, azdedup: exit status $aRC"
	check "download $c" azdedup "$got_az" "$want"
}
download small "$SMALL"
download large "$LARGE"

# --- 4. server-side copy, container to container ----------------------------------------
# azcp: Copy Blob from URL for a source container of the same account.  rclone: within
# one azureblob remote, rclone copy uses server-side copy (Start Copy From URL, then it
# polls the copy status; rclone -v logs "Copied (server-side copy)").
nc=${COPY% *}
az_cp() { "$BIN/azls" -q --all "$URL/$CSRC" | "$BIN/azcp" -q -P "$P" "$URL/$CSRC-copy-az" > /dev/null; }
span az_cp; aS=$S aAC=$AC aHC=$HC aRC=$RC
if [ "$HAVE_RCLONE" = yes ]; then
	rc_cp() { $RCLONE copy "AZ:$CSRC" "AZ:$CSRC-copy-rc"; }
	span rc_cp
	row "server-side copy" azdedup "$nc" "${COPY#* }" "$aS" "$aAC" "$aHC" \
		"$(awk -v n="$nc" -v s="$S" 'BEGIN { print n / s }')"
	row "server-side copy" rclone "$nc" "${COPY#* }" "$S" "$AC" "$HC"
	[ "$RC" = 0 ] || warn "server-side copy, rclone: exit status $RC"
	check "server-side copy" rclone "$(blobs "$URL/$CSRC-copy-rc")" "$COPY"
else
	row "server-side copy" azdedup "$nc" "${COPY#* }" "$aS" "$aAC" "$aHC"
	skipped "server-side copy"
fi
[ "$aRC" = 0 ] || warn "server-side copy, azdedup: exit status $aRC"
check "server-side copy" azdedup "$(blobs "$URL/$CSRC-copy-az")" "$COPY"

echo "MB = 10^6 bytes; ratio = azdedup blobs/s / rclone blobs/s; azurite = CPU the emulator"
echo "used over the step, in cores: its JavaScript runs on one thread (Node's I/O and GC"
echo "threads add a little), so near 1.00 means Azurite, not the client, set the pace and"
echo "the ratio understates the difference; host = busy cores of the whole machine ($(nproc))."
