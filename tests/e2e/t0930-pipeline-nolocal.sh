#!/bin/sh
# The default pipeline keeps no image copies: featx reads each image from SRC (a real
# Azurite container, a real folder), WORK holds listings, the store and reports only, the
# report and the destination equal those of KEEP_FILES=1 (azget's copies), a rerun with
# nothing changed reads nothing (Azurite's own log of GET requests, and featx's summary),
# a new blob is the only one read, and a blob that changed between listing and reading is
# an error record, never the features of other bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env
unset SRC DST WORK STORE KEEP_FILES 2> /dev/null || true

# Azurite with its debug log: every request it served, one "RequestMethod=..." line each
azurite_launch "$T/azurite" "$T/azurite.log" --debug "$T/debug.log" || true
AZ_PID=$AZURITE_PID
[ -n "$AZURITE_PORT" ] || { fail "azurite did not start: $(cat "$T/azurite.log")"; finish; }
trap 'az_stop; rm -rf "$T"' EXIT
AZ="http://127.0.0.1:$AZURITE_PORT/devstoreaccount1"
# gets CONTAINER: the blob downloads (GET of a blob, no query) served from CONTAINER since
# the log was last cut, one name a line, sorted
gets() {
	grep -o "RequestMethod=GET RequestURL=[^ ]*" "$T/debug.log" |
		sed -n "s|^RequestMethod=GET RequestURL=http://127.0.0.1/devstoreaccount1/$1/\([^?]*\)$|\1|p" | sort
}
cut_log() { : > "$T/debug.log"; }
pl() { make --no-print-directory -f "$TOP/pipeline.mk" BIN="$BIN/" "$@"; }
# what a report says of each image, without where its bytes were read from
canon() { jq -c 'select(.type == null) | [.name, .dup, .error.code, .sha256, .phash]' "$1"; }
groups() { jq -c 'select(.type == "group") | [.keeper, ([.members[].name] | sort)]' "$1" | sort; }
# WORK's files that are not listings, records, markers, checksums or the store
strays() {
	(cd "$1" && find . -type f | sed 's|^\./||' |
		grep -v -E '^((list|todo|features|report|copied)\.ndjson|\.done/[a-z]+(\.incomplete)?|\.sums/([a-z]+\.ndjson|marker\.[a-z]+)|store/.*)$')
}
# image files anywhere under a folder, told by their first bytes (JPEG, PNG, WebP)
images_in() {
	find "$1" -type f -exec sh -c 'for f; do
		m=$(head -c 12 "$f" | od -An -tx1 | tr -d " \n")
		case $m in ffd8ff*|89504e47*|52494646????????57454250*) echo "$f";; esac
	done' sh {} +
}
blobs() { azls -q "$AZ/$1" | jq -r '"\(.name) \(.size) \(.content_md5)"' | sort; }

"$PY" "$TOP/examples/mkvariants.py" --set demo "$PHOTOS" "$T/var" > /dev/null
rm -f "$T/var/truth.tsv"
nimg=$(find "$T/var" -type f | wc -l)
azls -q --all "$T/var" | azcp -q "$AZ/photos" > /dev/null
check_eq "the source container holds the images" "$(blobs photos | wc -l)" "$nimg"

# --- a container, the default pipeline against KEEP_FILES=1 ------------------------------
cut_log
pl SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" V=1 > "$T/a1.out" 2>&1
check_eq "default pipeline from a container: exit 0" "$?" "0"
check "no azget ran" sh -c "grep -q '/azget ' '$T/a1.out'; [ \$? -eq 1 ]"
check "the fetch stage says featx reads from SRC" grep -q '^fetch: nothing to copy, featx reads the images from SRC' "$T/a1.out"
check_eq "featx read every image from the container" \
	"$(sed -n 's/^featx: .*; \([0-9]*\) read from their source.*/\1/p' "$T/a1.out")" "$nimg"
check_eq "each blob was downloaded once" "$(gets photos | uniq -c | awk '$1 != 1' | wc -l):$(gets photos | wc -l)" "0:$nimg"
check_eq "WORK holds listings, records, markers and the store only" "$(strays "$T/w1")" ""
check_eq "WORK holds no image file" "$(images_in "$T/w1")" ""
check "no WORK/files" test ! -e "$T/w1/files"
check_eq "no record of the report has a local path" "$(jq -r 'select(.path) | .name' "$T/w1/report.ndjson")" ""

pl SRC="$AZ/photos" DST="$AZ/unique-keep" WORK="$T/w2" KEEP_FILES=1 V=1 > "$T/a2.out" 2>&1
check_eq "KEEP_FILES=1 from a container: exit 0" "$?" "0"
check "KEEP_FILES=1: azget ran" grep -q "^azget: $nimg fetched" "$T/a2.out"
check "KEEP_FILES=1: featx reads azget's copies with its own threads (no -j)" \
	sh -c "grep -q 'featx -i ' '$T/a2.out' && ! grep -q 'featx -j' '$T/a2.out'"
check "a container: featx keeps 16 reads in flight (-j 16)" grep -q 'featx -j 16 -i ' "$T/a1.out"
check_eq "KEEP_FILES=1: WORK/files holds a copy of every image" "$(find "$T/w2/files" -type f | wc -l)" "$nimg"
check_same "the same report as KEEP_FILES=1" "$(canon "$T/w1/report.ndjson")" "$(canon "$T/w2/report.ndjson")"
check_same "the same groups" "$(groups "$T/w1/report.ndjson")" "$(groups "$T/w2/report.ndjson")"
check_same "the same destination, byte for byte (size and MD5 of each blob)" \
	"$(blobs unique)" "$(blobs unique-keep)"
check "the destination holds exactly the keepers and uniques" sh -c "[ \"\$(azls -q '$AZ/unique' | jq -r .name | sort)\" = \"\$(jq -r 'select(.dup.role == \"keeper\" or .dup.role == \"unique\") | .name' '$T/w1/report.ndjson' | sort)\" ]"

# --- reruns: nothing changed reads nothing; one new blob is the only one read --------------
cut_log
pl -s SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" > "$T/b1.out" 2>&1
check_eq "rerun with the markers: nothing runs" "$?:$(cat "$T/b1.out")" "0:"
pl -s SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" refresh
pl SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" V=1 > "$T/b2.out" 2>&1
check_eq "refresh with nothing changed: exit 0" "$?" "0"
check_eq "refresh with nothing changed: no blob downloaded" "$(gets photos | wc -l)" "0"
check "refresh with nothing changed: featx read nothing" \
	grep -q '^featx: 0 images fingerprinted, 0 failed, 0 failed upstream; 0 read from their source' "$T/b2.out"
check_same "refresh: the same report" "$(canon "$T/w1/report.ndjson")" "$(canon "$T/w2/report.ndjson")"

first=$(cd "$T/var" && find . -name '*.jpg' | sed 's|^\./||' | sort | head -n 1)
mkdir -p "$T/add/new"
cp "$T/var/$first" "$T/add/new/rocket copy.jpg"
azls -q --all "$T/add" | azcp -q "$AZ/photos" > /dev/null
cut_log
pl -s SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" refresh
pl SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/w1" V=1 > "$T/b3.out" 2>&1
check_eq "one blob added: exit 0" "$?" "0"
check_eq "one blob added: only it was downloaded" "$(gets photos)" "new/rocket%20copy.jpg"
check "one blob added: featx read one image" \
	grep -q '^featx: 1 images fingerprinted, 0 failed, 0 failed upstream; 1 read from their source' "$T/b3.out"
check_eq "one blob added: the report groups it with the image it copies" \
	"$(jq -r --arg f "$first" 'select(.type == "group") | select(any(.members[]; .name == "new/rocket copy.jpg")) | any(.members[]; .name == $f)' "$T/w1/report.ndjson")" "true"
check_eq "WORK still holds no image file" "$(images_in "$T/w1")$(strays "$T/w1")" ""

# --- a blob that changes between listing and reading ---------------------------------------
mkdir -p "$T/chg"
cp "$PHOTOS/astronaut.jpg" "$PHOTOS/camera.png" "$T/chg/"
azls -q --all "$T/chg" | azcp -q "$AZ/changing" > /dev/null
pl -s SRC="$AZ/changing" WORK="$T/w3" list > /dev/null 2>&1
check_eq "listed" "$(jq -r .name "$T/w3/list.ndjson" | tr '\n' ' ')" "astronaut.jpg camera.png "
cp "$PHOTOS/chelsea.jpg" "$T/chg/astronaut.jpg"          # other bytes, another size
azls -q --all "$T/chg" | azcp -q --overwrite "$AZ/changing" > /dev/null
pl -s SRC="$AZ/changing" WORK="$T/w3" > "$T/c1.out" 2>&1
check "a blob changed since the listing: the run fails" test "$?" -ne 0
check_eq "it is an error record naming the reason" \
	"$(jq -r 'select(.error) | "\(.name) \(.error.stage) \(.error.code) \(.error.message)"' "$T/w3/report.ndjson")" \
	"astronaut.jpg featx exists changed since it was listed (list it again)"
check_eq "no features of other bytes for it" \
	"$(jq -r 'select(.name == "astronaut.jpg") | .sha256' "$T/w3/report.ndjson")" "null"
check "featx named the blob and the reason" \
	grep -q '^featx: astronaut.jpg: changed since it was listed (list it again)$' "$T/c1.out"
check "features is not marked done" test -e "$T/w3/.done/features.incomplete" -a ! -e "$T/w3/.done/features"
pl -s SRC="$AZ/changing" WORK="$T/w3" refresh
pl -s SRC="$AZ/changing" WORK="$T/w3" > /dev/null 2>&1
check_eq "listed again: exit 0" "$?" "0"
check_eq "listed again: the new bytes' features" \
	"$(jq -r 'select(.name == "astronaut.jpg") | .sha256' "$T/w3/report.ndjson")" \
	"$(sha256sum < "$PHOTOS/chelsea.jpg" | cut -d' ' -f1)"
# a listing's size or MD5 that the bytes do not match (featx on its own)
jq -c 'select(.name == "camera.png") | .size = 100' "$T/w3/list.ndjson" | featx -q --retries 0 > "$T/c2.ndjson" 2> /dev/null
check_eq "more bytes than listed: an error record" "$(jq -r '.error.code' "$T/c2.ndjson")" "exists"
jq -c 'select(.name == "camera.png") | .content_md5 = "AAAAAAAAAAAAAAAAAAAAAA=="' "$T/w3/list.ndjson" |
	featx -q --retries 1 > "$T/c3.ndjson" 2> "$T/c3.err"
check_eq "an MD5 the bytes do not have: an error record" \
	"$(jq -r '"\(.error.code) \(.sha256)"' "$T/c3.ndjson")" "corrupt null"
check "its message gives both checksums" grep -q '^featx: camera.png: MD5 .*, the service says AAAAAAAAAAAAAAAAAAAAAA==$' "$T/c3.err"
jq -c 'select(.name == "camera.png")' "$T/w3/list.ndjson" | featx -q --max-bytes 1000 > "$T/c4.ndjson" 2> /dev/null
check_eq "--max-bytes refuses a blob before reading it" "$(jq -r .error.code "$T/c4.ndjson")" "too_large"
jq -c 'select(.name == "camera.png")' "$T/w3/list.ndjson" | featx -q --max-memory 64K > "$T/c5.ndjson" 2> /dev/null
check_eq "--max-memory bounds what a blob's bytes may hold" "$(jq -r .error.code "$T/c5.ndjson")" "too_large"
jq -c 'select(.name == "camera.png") | .src = "'"$AZ"'/nosuch"' "$T/w3/list.ndjson" | featx -q > /dev/null 2> "$T/c6.err"
check_eq "a missing container stops featx: exit 2" "$?" "2"

# --- faults on the way, from a proxy in front of Azurite: featx retries as azget does ------
# every 3rd GET in turn: 503, a reset, a body cut in half (resumed with a range), a byte
# changed (the MD5 of the listing catches it: read again whole)
: > "$T/faults.log"
"$PY" "$TOP/tests/e2e/faultproxy.py" --no-keepalive --upstream "127.0.0.1:$AZURITE_PORT" \
	--port-file "$T/fp.port" --log "$T/faults.log" --every 3 --methods GET \
	--faults 503,reset,trunc,flip 2> "$T/fp.err" &
FP_PID=$!
trap 'kill $FP_PID 2> /dev/null; az_stop; rm -rf "$T"' EXIT
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp.port" ]; do sleep 0.1; i=$((i + 1)); done
AZF="http://127.0.0.1:$(cat "$T/fp.port")/devstoreaccount1"
sed "s|$AZ/photos|$AZF/photos|" "$T/w1/list.ndjson" | featx -j 4 --timeout 2 --local 0 > "$T/f.ndjson" 2> "$T/f.err"
check_eq "reading through faults: exit 0" "$?" "0"
check "faults of each kind were injected" sh -c "for k in 503 reset trunc flip; do grep -q \$k '$T/faults.log' || exit 1; done"
check_same "every image has the checksum of its blob" \
	"$(jq -r '"\(.name) \(.sha256)"' "$T/f.ndjson" | sort)" \
	"$(jq -r 'select(.type == null) | "\(.name) \(.sha256)"' "$T/w1/report.ndjson" | sort)"
check_eq "the summary counts one retry per fault" \
	"$(sed -n 's/.*, \([0-9]*\) retries.*/\1/p' "$T/f.err")" "$(wc -l < "$T/faults.log")"
kill $FP_PID 2> /dev/null

# --- a container far away: featx keeps FEATX_READS reads in flight -------------------------
# every request held 300 ms (a storage account in another region); the proxy counts the
# most requests in flight at once.  Two threads a core would keep 2 (this machine's
# cores, whatever they are, are fewer than the 16 reads)
: > "$T/faults.log"
"$PY" "$TOP/tests/e2e/faultproxy.py" --upstream "127.0.0.1:$AZURITE_PORT" --max-faults 0 \
	--delay-ms 300 --port-file "$T/fl.port" --log "$T/faults.log" --peak "$T/fl.peak" 2> "$T/fl.err" &
FP_PID=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fl.port" ]; do sleep 0.1; i=$((i + 1)); done
AZL="http://127.0.0.1:$(cat "$T/fl.port")/devstoreaccount1"
pl SRC="$AZL/photos" WORK="$T/w6" V=1 join > "$T/l1.out" 2>&1
check_eq "far container: exit 0" "$?" "0"
check "far container: featx runs with -j 16" grep -q 'featx -j 16 -i ' "$T/l1.out"
check "far container: 8 or more reads in flight at once (peak $(cat "$T/fl.peak" 2> /dev/null))" \
	test "$(cat "$T/fl.peak" 2> /dev/null || echo 0)" -ge 8
rm -f "$T/fl.peak"
pl SRC="$AZL/photos" WORK="$T/w7" FEATX_OPTS="-j 2" V=1 join > "$T/l2.out" 2>&1
check_eq "far container, FEATX_OPTS=-j 2: exit 0" "$?" "0"
check "far container, FEATX_OPTS=-j 2: featx keeps its -j" grep -q 'featx -j 2 -i ' "$T/l2.out"
check "far container, FEATX_OPTS=-j 2: at most 2 reads in flight (peak $(cat "$T/fl.peak" 2> /dev/null))" \
	test "$(cat "$T/fl.peak" 2> /dev/null || echo 99)" -le 2
check_same "far container: the same features either way" \
	"$(jq -c '[.name, .sha256, .phash, .local]' "$T/w6/features.ndjson" | sort | sha256sum)" \
	"$(jq -c '[.name, .sha256, .phash, .local]' "$T/w7/features.ndjson" | sort | sha256sum)"
kill $FP_PID 2> /dev/null

# --- a folder, the default pipeline against KEEP_FILES=1 -----------------------------------
pl -s SRC="$T/var" DST="$T/dl1" WORK="$T/w4" Q=-q > /dev/null 2>&1
check_eq "default pipeline from a folder: exit 0" "$?" "0"
check_eq "WORK holds no image file" "$(images_in "$T/w4")$(strays "$T/w4")" ""
pl -s SRC="$T/var" DST="$T/dl2" WORK="$T/w5" KEEP_FILES=1 Q=-q > /dev/null 2>&1
check_eq "KEEP_FILES=1 from a folder: exit 0" "$?" "0"
check_eq "KEEP_FILES=1: WORK/files holds every image" "$(find "$T/w5/files" -type f | wc -l)" "$nimg"
check_same "the same report as KEEP_FILES=1" "$(canon "$T/w4/report.ndjson")" "$(canon "$T/w5/report.ndjson")"
check "the same destination as KEEP_FILES=1" diff -r "$T/dl1" "$T/dl2"
pl -s SRC="$T/var" DST="$T/dl1" WORK="$T/w4" refresh
pl SRC="$T/var" DST="$T/dl1" WORK="$T/w4" V=1 > "$T/d1.out" 2>&1
check "a folder, refresh with nothing changed: featx read nothing" \
	grep -q '^featx: 0 images fingerprinted, 0 failed, 0 failed upstream; 0 read from their source' "$T/d1.out"
cp "$PHOTOS/rocket.jpg" "$T/var/rocket again.jpg"
pl -s SRC="$T/var" DST="$T/dl1" WORK="$T/w4" refresh
pl SRC="$T/var" DST="$T/dl1" WORK="$T/w4" V=1 > "$T/d2.out" 2>&1
check "a folder, one file added: featx read one" \
	grep -q '^featx: 1 images fingerprinted, 0 failed, 0 failed upstream; 1 read from their source' "$T/d2.out"
check "a folder: featx with its own threads (no -j)" \
	sh -c "grep -q 'featx -i ' '$T/d2.out' && ! grep -q 'featx -j' '$T/d2.out'"
pl SRC="$T/var" DST="$T/dl1" WORK="$T/w4" KEEP_FILES=1 status > "$T/d.status" 2>&1
check "status: switching to KEEP_FILES=1 makes fetch stale" grep -qx 'fetch     stale (KEEP_FILES changed)' "$T/d.status"
finish
