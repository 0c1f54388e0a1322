#!/bin/sh
# featx on the example photos gives the committed test vectors, bit for bit, on one
# thread and on several: the hashes (photos.tsv), and the colour grid, info and packed
# keypoints (local.tsv).
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
L="$TOP/tests/vectors/local.tsv"
azls -q "$PHOTOS" | featx -q -j 2 | jq -r '[.name, .color, (.info|tostring), .local] | @tsv' |
	while IFS='	' read -r name color info local; do
		printf '%s\t%s\t%s\t%s\n' "$name" "$color" "$info" \
		    "$(printf %s "$local" | sha256sum | cut -c1-64)"
	done > "$T/gotl"
grep -v '^#' "$L" > "$T/wantl"
check_same "featx: colour, info and keypoints of every photo" "$(wc -l < "$T/gotl")" \
    "$(wc -l < "$T/wantl")"
while IFS='	' read -r name rest; do
	check_eq "featx: $name colour, info, keypoints" "$(grep "^$name	" "$T/gotl" | cut -f2-)" "$rest"
done < "$T/wantl"
finish
