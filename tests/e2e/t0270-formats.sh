#!/bin/sh
# GIF, TIFF, BMP, HEIC and AVIF: the same photo in every format
# hashes alike; animated GIFs give their first frame; broken files become error records.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/f"
"$PY" - "$PHOTOS/chelsea.jpg" "$T/f" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1])
d = sys.argv[2]
im.save(d + "/c.png")
im.convert("P", palette=Image.ADAPTIVE).save(d + "/c.gif")
im.convert("P", palette=Image.ADAPTIVE).save(d + "/c-interlaced.gif", interlace=1)
rgba = im.convert("RGBA")
rgba.putpixel((0, 0), (0, 0, 0, 0))
rgba.convert("P", palette=Image.ADAPTIVE).save(d + "/c-transparent.gif", transparency=0)
im.save(d + "/c.tif", compression="tiff_lzw")
im.save(d + "/c-deflate.tif", compression="tiff_adobe_deflate")
im.convert("L").save(d + "/c-gray.tif")
im.convert("RGBA").save(d + "/c-alpha.tif")
im.convert("CMYK").save(d + "/c-cmyk.tif")
im.save(d + "/c.bmp")
im.convert("P").save(d + "/anim.gif", save_all=True, duration=100, loop=0,
                     append_images=[im.rotate(90).convert("P"), im.rotate(180).convert("P")])
for f in ("c.gif", "c.tif"):
    b = open(d + "/" + f, "rb").read()
    open(d + "/cut-" + f, "wb").write(b[:len(b) // 3])
open(d + "/garbage.tif", "wb").write(b"II*\0" + bytes(range(256)) * 4)
PY
# HEIC (x265) and AVIF (aom) from the PNG with libheif's heif-enc (libheif-examples)
heif=
if command -v heif-enc > /dev/null && heif-enc -q 80 -o "$T/f/c.heic" "$T/f/c.png" > /dev/null &&
    heif-enc -A -q 80 -o "$T/f/c.avif" "$T/f/c.png" > /dev/null; then
	heif="c.heic c.avif"
	"$PY" - "$T/f" <<'PY'
import sys
d = sys.argv[1]
for f in ("c.heic", "c.avif"):
    b = open(d + "/" + f, "rb").read()
    open(d + "/cut-" + f, "wb").write(b[:len(b) // 2])
# a real ftyp box (heic, mif1) followed by junk
b = open(d + "/c.heic", "rb").read()
n = int.from_bytes(b[:4], "big")
open(d + "/garbage.heic", "wb").write(b[:n] + bytes(range(7, 256)) * 4)
PY
else
	echo "# heif-enc (libheif-examples) missing or failing: the HEIC and AVIF checks skip"
	rm -f "$T/f/c.heic" "$T/f/c.avif"
fi
azls -q --all "$T/f" | featx > "$T/out" 2> "$T/err"
check_eq "some records failed: exit 1" "$?" "1"
fmt() { jq -r --arg n "$1" 'select(.name == $n) | .format // .error.code' "$T/out"; }
for f in c.gif c-interlaced.gif c-transparent.gif anim.gif; do
	check_eq "$f is read as GIF" "$(fmt $f)" "gif"
done
for f in c.tif c-deflate.tif c-gray.tif c-alpha.tif c-cmyk.tif; do
	check_eq "$f is read as TIFF" "$(fmt $f)" "tiff"
done
if [ -n "$heif" ]; then
	check_eq "c.heic is read as HEIF" "$(fmt c.heic)" "heif"
	check_eq "c.avif is read as AVIF" "$(fmt c.avif)" "avif"
else
	skip "c.heic is read as HEIF: no heif-enc"
	skip "c.avif is read as AVIF: no heif-enc"
	skip "c.heic hashes like the PNG: no heif-enc"
	skip "c.avif hashes like the PNG: no heif-enc"
fi
png=$(jq -r 'select(.name == "c.png") | .phash' "$T/out")
near() { "$PY" -c "import sys; print(bin(int(sys.argv[1], 16) ^ int(sys.argv[2], 16)).count('1'))" "$1" "$2"; }
for f in c.gif c-interlaced.gif c.tif c-deflate.tif c-gray.tif c-alpha.tif c-cmyk.tif anim.gif c.bmp $heif; do
	d=$(near "$png" "$(jq -r --arg n "$f" 'select(.name == $n) | .phash' "$T/out")")
	check "$f hashes like the PNG (phash distance $d)" test "$d" -le 4
done
check_eq "sizes are the photo's" "$(jq -r 'select(.format) | "\(.width)x\(.height)"' "$T/out" | sort -u)" "451x300"
check_eq "c.bmp is read as BMP" "$(fmt c.bmp)" "bmp"
check_eq "and is the PNG's picture" "$(jq -r 'select(.name == "c.bmp") | .phash' "$T/out")" "$png"
check_eq "a cut GIF is truncated" "$(fmt cut-c.gif)" "truncated"
# an error record has a string .error.code ("null" when there is none, "" when the
# record is missing: both fail)
check_eq "a cut TIFF is an error record" "$(jq -r 'select(.name == "cut-c.tif") | .error.code | type' "$T/out")" "string"
check "garbage after a TIFF signature is an error record" grep -q '^featx: garbage.tif: ' "$T/err"
if [ -n "$heif" ]; then
	check_eq "a cut HEIC is truncated" "$(fmt cut-c.heic)" "truncated"
	check_eq "a cut AVIF is truncated" "$(fmt cut-c.avif)" "truncated"
	check "with the usual message" grep -q '^featx: cut-c.heic: truncated: HEIF data ends early$' "$T/err"
	check_eq "garbage after a HEIC ftyp is an error record" \
	    "$(jq -r 'select(.name == "garbage.heic") | .error.code | type' "$T/out")" "string"
	check "and nothing but featx's own lines on stderr" sh -c "grep -v '^featx: ' '$T/err'; [ \$? -eq 1 ]"
else
	for what in "a cut HEIC is truncated" "a cut AVIF is truncated" "with the usual message" \
	    "garbage after a HEIC ftyp is an error record" "and nothing but featx's own lines on stderr"; do
		skip "$what: no heif-enc"
	done
fi
check_eq "every file has a record" "$(wc -l < "$T/out")" "$(ls "$T/f" | wc -l)"

# featx opens libheif on the first HEIF or AVIF file, it does not link it: where the
# library cannot be loaded (here an empty file of its name, found first through
# LD_LIBRARY_PATH) the other formats are read as ever and the HEIC is an "unsupported"
# error record naming the reason
mkdir -p "$T/noheif"
: > "$T/noheif/libheif.so.1"
printf '{"name":"c.png","path":"%s"}\n{"name":"c.heic","path":"%s"}\n' "$T/f/c.png" "$T/f/c.heic" |
    LD_LIBRARY_PATH="$T/noheif" featx -q > "$T/nh.out" 2> "$T/nh.err"
check_eq "without a loadable libheif: exit 1" "$?" "1"
check_eq "the PNG is read" "$(jq -r 'select(.name == "c.png") | .phash' "$T/nh.out")" "$png"
if [ -n "$heif" ]; then
	check_eq "the HEIC is an unsupported error record" "$(jq -r 'select(.name == "c.heic") | .error.code' "$T/nh.out")" "unsupported"
	check "saying libheif cannot be loaded" grep -q '^featx: c.heic: unsupported: HEIF (cannot load libheif: .*libheif.so.1' "$T/nh.err"
else
	skip "the HEIC is an unsupported error record: no heif-enc"
	skip "saying libheif cannot be loaded: no heif-enc"
fi
finish
