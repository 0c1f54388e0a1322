#!/bin/sh
# Hostile images under the pixel limit (tests/e2e/mkbombs.py: an animated WebP whose
# 9999 x 9999 canvas holds a 1 x 1 frame, TIFFs in one strip and in many, an interlaced
# PNG, a progressive JPEG, a GIF whose screen is 9999 x 9999): featx's peak memory stays
# within its budget (--max-memory, 512M by default) on one thread and on four, each
# file is decoded or refused with a too_large error record, and ordinary photos still
# give their test vectors while the budget is shared.  Peak RSS is measured with
# /usr/bin/time: a memory bound, with a wide margin, not a timing.
. "$(dirname "$0")/lib.sh"

if [ ! -x /usr/bin/time ]; then
	echo "# /usr/bin/time missing: peak memory not checked"
	fail "/usr/bin/time is needed to measure the peak memory"
	finish
fi
# under SAN=1, AddressSanitizer keeps 256 MiB of freed memory in quarantine: less of
# that, so that the peak is the budget's (a build without it ignores the setting)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
export ASAN_OPTIONS
mkdir -p "$T/b"
check "the bombs are made" "$PY" "$TOP/tests/e2e/mkbombs.py" "$T/b"
: > "$T/recs"
for c in 1 2; do
	for f in anim.webp strip.tif strips.tif interlaced.png progressive.jpg screen.gif; do
		printf '{"name":"%s/%s","path":"%s"}\n' "$c" "$f" "$T/b/$f" >> "$T/recs"
	done
done
check_eq "a 140-byte animated WebP" "$(wc -c < "$T/b/anim.webp" | tr -d ' ')" "144"

# 512 MiB of budget, the program itself and four threads' file bytes and working images
bound=$((700 * 1024))
# (--memo 0: the second copy of each file is decoded too, beside the first)
for j in 1 4; do
	/usr/bin/time -f %M -o "$T/rss$j" featx -q --memo 0 -j $j -i "$T/recs" -o "$T/out$j" 2> "$T/err$j"
	check_eq "featx -j $j exits 0" "$?" "0"
	rss=$(tail -n 1 "$T/rss$j")
	check "featx -j $j peaks at $((rss / 1024)) MiB, under $((bound / 1024)) MiB" test "$rss" -lt "$bound"
	check_eq "featx -j $j: a record each" "$(wc -l < "$T/out$j")" "12"
	for f in anim.webp strip.tif strips.tif interlaced.png progressive.jpg screen.gif; do
		check_eq "featx -j $j: $f is decoded at its full size" "$(jq -r --arg n "1/$f" \
		    'select(.name == $n) | "\(.width // .error.code)x\(.height // "")"' "$T/out$j")" \
		    "9999x9999"
	done
	check "featx -j $j: nothing on stderr" test ! -s "$T/err$j"
done
# the composed screens are white but for the one pixel: their first frame
check_eq "anim.webp: the first frame on white" "$(jq -r 'select(.name == "1/anim.webp") |
    .color' "$T/out1")" "$(printf 'ff%.0s' $(seq 48))"
check_eq "same records on 1 and 4 threads" "$(jq -c 'del(.local)' "$T/out1" | sort | md5sum)" \
    "$(jq -c 'del(.local)' "$T/out4" | sort | md5sum)"

# a budget too small for one of them: an error record naming the option, the rest go on
/usr/bin/time -f %M -o "$T/rss-small" featx -q -j 4 --max-memory 64M -i "$T/recs" \
    -o "$T/small" 2> "$T/small-err"
check_eq "--max-memory 64M: some records failed" "$?" "1"
check_eq "the progressive JPEG is too_large" "$(jq -r 'select(.name == "1/progressive.jpg") |
    .error.code' "$T/small")" "too_large"
check "with the reason on stderr" grep -q \
    '^featx: 1/progressive.jpg: too large: decoding needs about [0-9]* MiB, over the 64 MiB memory budget (--max-memory)$' \
    "$T/small-err"
check_eq "the others are decoded" "$(jq -r 'select(.format) | .name' "$T/small" | sort | tr '\n' ' ')" \
    "1/anim.webp 1/interlaced.png 1/screen.gif 1/strip.tif 1/strips.tif 2/anim.webp 2/interlaced.png 2/screen.gif 2/strip.tif 2/strips.tif "
rss=$(tail -n 1 "$T/rss-small")
check "--max-memory 64M -j 4 peaks at $((rss / 1024)) MiB, under 160 MiB" test "$rss" -lt $((160 * 1024))

# ordinary photos: the same hashes with the budget shared by four threads, even a small one
V="$TOP/tests/vectors/photos.tsv"
grep -v '^#' "$V" > "$T/want"
for mem in 512M 24M; do
	azls -q "$PHOTOS" | featx -q -j 4 --max-memory $mem |
		jq -r '[.name, .format, .width, .height, .phash, .dhash, .whash, .sha256] | @tsv' |
		sort > "$T/got"
	check_same "--max-memory $mem: the photos' test vectors" "$(cat "$T/got")" "$(sort "$T/want")"
done

# the option's values
for bad in abc 0 12Q -5M; do
	featx -q --max-memory "$bad" < /dev/null > /dev/null 2> "$T/bad"
	check_eq "--max-memory $bad: usage error" "$?" "2"
done
check "with a clear reason" grep -q "^featx: --max-memory: expected a size such as 512M or 2G, got '-5M'$" "$T/bad"
for good in 1G 300m 65536 2GiB; do
	check "--max-memory $good is a size" sh -c "featx -q --max-memory $good < /dev/null"
done
finish
