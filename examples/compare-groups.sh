#!/bin/sh
# compare-groups.sh REPORT TRUTH — compare dedupe's groups with the known variants.
#
# TRUTH is mkvariants.py's truth.tsv (FILE<TAB>GROUP).  Prints the groups that differ and
# a last line "groups: expected E, found F, exact matches M";
# exits 0 only when every expected group was found exactly and nothing else was grouped.
set -eu
[ $# -eq 2 ] || { echo "usage: compare-groups.sh REPORT TRUTH" >&2; exit 2; }
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jq -r 'select(.type == "group") | ([.keeper] + [.members[].name]) | sort | join(" | ")' "$1" \
	| sort > "$tmp/found"
sort -t "$(printf '\t')" -k2,2 -k1,1 "$2" | awk -F '\t' '
	$2 != g { if (n > 1) print line; g = $2; line = $1; n = 1; next }
	{ line = line " | " $1; n++ }
	END { if (n > 1) print line }' | sort > "$tmp/want"

comm -23 "$tmp/want" "$tmp/found" | sed 's/^/missed:   /'
comm -13 "$tmp/want" "$tmp/found" | sed 's/^/unwanted: /'
e=$(wc -l < "$tmp/want")
f=$(wc -l < "$tmp/found")
m=$(comm -12 "$tmp/want" "$tmp/found" | wc -l)

echo "groups: expected $e, found $f, exact matches $m"
[ "$e" -eq "$m" ] && [ "$f" -eq "$m" ]
