#!/bin/sh
# featx on the example photos gives the committed test vectors, bit for bit, on one
# thread and on several.
. "$(dirname "$0")/lib.sh"

V="$TOP/tests/vectors/photos.tsv"
for j in 1 3; do
	azls -q "$PHOTOS" | featx -q -j $j |
		jq -r '[.name, .format, .width, .height, .phash, .dhash, .whash, .sha256] | @tsv' > "$T/got$j"
	grep -v '^#' "$V" > "$T/want"
	check_same "featx -j $j: every photo" "$(wc -l < "$T/got$j")" "$(wc -l < "$T/want")"
	while IFS='	' read -r name rest; do
		check_eq "featx -j $j: $name" "$(grep "^$name	" "$T/got$j" | cut -f2-)" "$rest"
	done < "$T/want"
done
finish
