#!/bin/sh
# The manual pages: they format without warnings, each names itself, every option a
# tool's --help prints is documented and every option a page lists is in --help, the
# record page covers every field and every error code the code can put in a record
# (read from lib/base/err.c's table and the tools' own codes, not a list kept here), and the
# EXAMPLES run: each command of every page's examples runs here on the example photos,
# except the ones listed below that need an Azure account (counted as skipped).
. "$(dirname "$0")/lib.sh"

M="$TOP/man"
for page in "$M"/*.[157]; do
	p=$(basename "$page")
	groff -mandoc -ww -z "$page" > "$T/lint" 2>&1
	check_eq "$p formats without warnings" "$(cat "$T/lint")" ""
	sect=${p##*.}
	name=$(echo "${p%.*}" | tr a-z A-Z)
	check "$p: .Dt $name $sect" grep -qx ".Dt $name $sect" "$page"
done

for t in azls azget featx featstore dedupe azcp; do
	check "man/$t.1 exists" test -f "$M/$t.1"
	[ -f "$M/$t.1" ] || continue
	"$BIN/$t" --help > "$T/help"
	missing=
	for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u); do
		grep -Eq "^\.(It|Op).*Fl -${o#--}( |$)" "$M/$t.1" || missing="$missing $o"
	done
	check_eq "$t: every option of --help is in the page" "$missing" ""
	# and the other way: every option the page lists (.It Fl ...) is in --help
	missing=
	for o in $(grep -E '^\.It.* Fl -?[a-zA-Z]' "$M/$t.1" | grep -oE 'Fl -?[a-zA-Z][a-z0-9-]*' |
	    sed 's/^Fl /-/' | sort -u); do
		grep -Eq -- "(^|[^a-zA-Z0-9-])$o([^a-z0-9-]|$)" "$T/help" || missing="$missing $o"
	done
	check_eq "$t: every option the page lists is in --help" "$missing" ""
	missing=
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx ".Sh $s" "$M/$t.1" || missing="$missing [$s]"
	done
	check_eq "$t: the usual sections" "$missing" ""
done

missing=
for f in name size mtime etag content_md5 src path format width height sha256 phash \
	dhash whash dup copy error raw type; do
	grep -q "Li $f\b" "$M/azdedup-records.5" || missing="$missing $f"
done
check_eq "every record field is described" "$missing" ""
# and every error code a record can carry: aderr_name's table in lib/base/err.c (its default
# is "internal"; "ok" is no error) and the codes the tools and the record layer name
# themselves in rec_set_error calls
codes=$(sed -n 's/.*return "\([a-z_]*\)";.*/\1/p' "$TOP/lib/base/err.c" | grep -vx ok)
codes="$codes $(grep -ho 'rec_set_error([^;]*' "$TOP"/lib/*/*.c "$TOP"/tools/*.c |
    sed -n 's/^rec_set_error([^,]*, *"[a-z]*", *"\([a-z_]*\)".*/\1/p' | sort -u)"
check "the code tables were read (io, internal, bad_record among them)" sh -c \
    "echo '$codes' | tr ' ' '\n' | grep -qx io && echo '$codes' | tr ' ' '\n' | grep -qx internal &&
    echo '$codes' | tr ' ' '\n' | grep -qx bad_record"
missing=
for c in $(echo $codes | tr ' ' '\n' | sort -u); do
	grep -Eq "^\.Li $c( |$)" "$M/azdedup-records.5" || missing="$missing $c"
done
check_eq "every error code is listed" "$missing" ""

# --- the EXAMPLES run --------------------------------------------------------------------
# tests/e2e/manexamples.py lists every example command (the EXAMPLES sections).
# Those that need an Azure account are listed here, each with the reason;
# every other example runs in $T/ex with bash -o pipefail and must exit 0 (and print
# something when it ends in jq, sort or uniq), on files made here: the example
# photos and their variants as ~/photos (HOME is $T/home), and the inputs the examples
# read (fetched.ndjson, features.ndjson, report.ndjson, copied.ndjson, store, shard0-3).
# ~/ stands for $HOME/, /tmp/azd for $T/azd, /data/photos for ~/photos, examples/photos
# for the bundled photos, pipeline.mk for the repository's.
cat > "$T/azure-examples" <<'EOF_AZ'
azcp.1	AZDEDUP_DST='https://acct.blob.core.windows.net/unique?sv=...&sig=...' \\\n    azcp -i report.ndjson -o copied.ndjson	a SAS for an Azure account's container (acct.blob.core.windows.net)
azdedup.7	export SRC='https://acct.blob.core.windows.net/photos?sv=...&sig=...'	a SAS for an Azure account's container (acct.blob.core.windows.net)
azdedup.7	export DST='https://acct.blob.core.windows.net/unique?sv=...&sig=...'	a SAS for an Azure account's container (acct.blob.core.windows.net)
azdedup.7	make -f pipeline.mk WORK=/tmp/azd	SRC and DST from the two exports above: Azure containers and their SAS
featx.1	export AZDEDUP_SRC='https://acct.blob.core.windows.net/photos?sv=...&sig=...'	a SAS for an Azure account's container (acct.blob.core.windows.net)
featx.1	azls | featx -j 16 > features.ndjson	AZDEDUP_SRC from the export above: an Azure container and its SAS
EOF_AZ
"$PY" "$TOP/tests/e2e/manexamples.py" "$M" > "$T/examples"
check "the examples were read (every tool page has some)" sh -c \
    "for t in azls azget featx featstore dedupe azcp; do grep -q \"^\$t.1	\" '$T/examples' || exit 1; done"
stale=$(cut -f 1,2 "$T/azure-examples" | grep -vxF -f "$T/examples")
check_eq "every example listed as needing Azure is still in its page" "$stale" ""

mkdir -p "$T/home" "$T/ex" "$T/azd"
$PY "$TOP/examples/mkvariants.py" --set demo "$PHOTOS" "$T/home/photos" > /dev/null
rm -f "$T/home/photos/truth.tsv"
mkdir -p "$T/home/photos/holiday"
cp "$PHOTOS/chelsea.jpg" "$PHOTOS/astronaut.jpg" "$T/home/photos/holiday/"
(
	cd "$T/ex" || exit 1
	azls -q "$T/home/photos" | azget -q -d "$T/ex/files" > fetched.ndjson &&
	featx -q < fetched.ndjson > features.ndjson &&
	dedupe -q < features.ndjson > report.ndjson &&
	featstore put -q store < features.ndjson &&
	azcp -q "$T/ex/dst" < report.ndjson > copied.ndjson &&
	for k in 0 1 2 3; do
		azls -q --shard $k/4 "$T/home/photos" | azget -q -d "$T/ex/files" | featx -q |
		    featstore put -q shard$k || exit 1
	done
) > "$T/ex.prep" 2>&1
check "the examples' inputs are made" test -s "$T/ex/report.ndjson" -a -d "$T/ex/shard3"
check "the photos have duplicates (the dedupe example has something to show)" \
    jq -e -s 'any(.[]; .dup.role == "duplicate")' "$T/ex/report.ndjson"

n=0
while IFS='	' read -r page cmd; do
	n=$((n + 1))
	why=$(P=$page C=$cmd awk -F '\t' '$1 == ENVIRON["P"] && $2 == ENVIRON["C"] { print $3 }' "$T/azure-examples")
	short=$(printf '%s' "$cmd" | sed 's/\\n.*/ .../' | cut -c 1-70)
	if [ -n "$why" ]; then
		skip "$page example $n needs Azure ($why): $short"
		continue
	fi
	run=$(printf '%s' "$cmd" | "$PY" -c '
import re, sys
c = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), sys.stdin.read())
for a, b in (("~/", "$HOME/"), ("/tmp/azd", "$T/azd"), ("/data/photos", "$HOME/photos"),
             ("-f pipeline.mk", "-f $TOP/pipeline.mk"), ("examples/photos", "$PHOTOS")):
    c = c.replace(a, b)
sys.stdout.write(c)')
	(cd "$T/ex" && HOME="$T/home" T="$T" TOP="$TOP" PHOTOS="$PHOTOS" bash -o pipefail -c "$run") \
	    > "$T/ex.out" 2> "$T/ex.err"
	rc=$?
	# one that ends in jq, sort or uniq must print something, except azget(1)'s list
	# of failures (there are none here)
	out=ok
	case $run in
	*\>*|*"select(.error)"*) ;;
	jq\ *|*"| jq "*|*"| sort"*|*"| uniq"*) [ -s "$T/ex.out" ] || out="printed nothing" ;;
	esac
	if [ "$rc" -eq 0 ] && [ "$out" = ok ]; then
		ok "$page example runs: $short"
	else
		fail "$page example runs: $short (exit $rc, $out)"
		sed 's/^/    /' "$T/ex.err" | head -10
	fi
done < "$T/examples"

# SEE ALSO points only at pages that exist
bad=
for x in $(grep -h '^\.Xr az\|^\.Xr dedupe\|^\.Xr feat' "$M"/*.[157] | awk '{print $2 "." $3}' | sort -u); do
	test -f "$M/$x" || bad="$bad $x"
done
check_eq "cross references resolve" "$bad" ""
finish
