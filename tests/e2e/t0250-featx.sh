#!/bin/sh
# featx on real photos: formats told apart by their bytes, hashes that agree across
# re-encodings, and every kind of bad input ending as an error record with a reason.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/in"
jpg=$(ls "$PHOTOS"/*.jpg | head -n 1)
png=$(ls "$PHOTOS"/*.png | head -n 1)
webp=$(ls "$PHOTOS"/*.webp | head -n 1)
cp "$jpg" "$T/in/photo.jpg"
cp "$png" "$T/in/photo.png"
cp "$webp" "$T/in/photo.webp"
cp "$png" "$T/in/png-named.jpg"             # the name lies; the bytes decide
# the same picture in three formats, and a half-size copy
$PY - "$jpg" "$T/in" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
out = sys.argv[2]
im.save(out + "/same.png")
im.save(out + "/same.webp", quality=90)
im.save(out + "/same-q30.jpg", quality=30)
im.resize((im.width // 2, im.height // 2), Image.LANCZOS).save(out + "/same-half.jpg", quality=90)
im.convert("L").save(out + "/same-gray.jpg", quality=90)
im.save(out + "/progressive.jpg", quality=85, progressive=True)
PY
# bad ones
: > "$T/in/empty.jpg"
echo "hello" > "$T/in/text.png"
head -c 5000 "$jpg" > "$T/in/cut.jpg"
head -c 4000 "$png" > "$T/in/cut.png"
head -c 3000 "$webp" > "$T/in/cut.webp"
seeded_bytes 512 250 > "$T/in/noise.jpg"
# 400 bytes of the entropy-coded data overwritten (fixed seed: always the same damage)
$PY - "$jpg" "$T/in/corrupt.jpg" <<'PY'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(1)
for i in range(len(b) // 2, len(b) // 2 + 400):
    b[i] = r.randrange(256)
open(sys.argv[2], "wb").write(bytes(b))
PY
# decompression bombs: a real PNG header claiming 100000 x 100000 pixels, and a JPEG whose
# frame header claims 60000 x 60000
$PY - "$T/in" "$jpg" <<'PY'
import struct, sys, zlib
out, jpg = sys.argv[1], sys.argv[2]
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
idat = zlib.compress(b"\0" * 4096)
open(out + "/bomb.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
b = bytearray(open(jpg, "rb").read())
i = 2
while i < len(b) - 9:
    if b[i] == 0xFF and b[i + 1] in (0xC0, 0xC1, 0xC2):
        b[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
        break
    i += 2 + ((b[i + 2] << 8) | b[i + 3])
open(out + "/bomb.jpg", "wb").write(bytes(b))
PY

azls -q "$T/in" > "$T/list"
check_eq "listed" "$(wc -l < "$T/list")" "19"
featx -i "$T/list" -o "$T/out" 2> "$T/err"
check_eq "exit 1 when some images failed" "$?" "1"
v() { jq -r --arg n "$1" "select(.name == \$n) | $2" "$T/out"; }
check_eq "jpeg detected" "$(v photo.jpg .format)" "jpeg"
check_eq "png detected" "$(v photo.png .format)" "png"
check_eq "webp detected" "$(v photo.webp .format)" "webp"
check_eq "a PNG named .jpg is a PNG" "$(v png-named.jpg .format)" "png"
w=$($PY -c "from PIL import Image; print('%dx%d' % Image.open('$jpg').size)")
check_eq "full-size dimensions, not the decode scale" "$(v photo.jpg '"\(.width)x\(.height)"')" "$w"
check_eq "sha256 of the bytes" "$(v photo.jpg .sha256)" "$(sha256sum "$jpg" | cut -d' ' -f1)"
check "hashes are 16 hex digits" jq -e -s '[.[] | select(.error == null) | (.phash, .dhash, .whash) | test("^[0-9a-f]{16}$")] | all' "$T/out"

# distances between re-encodings of one picture stay small
dist() {  # NAME1 NAME2 FIELD
	a=$(v "$1" ".$3"); b=$(v "$2" ".$3")
	$PY -c "print(bin(int('$a', 16) ^ int('$b', 16)).count('1'))"
}
for n in same.png same.webp same-q30.jpg same-half.jpg same-gray.jpg progressive.jpg; do
	check "phash: photo.jpg ~ $n within 6" test "$(dist photo.jpg "$n" phash)" -le 6
	check "dhash: photo.jpg ~ $n within 8" test "$(dist photo.jpg "$n" dhash)" -le 8
done
check "different photos are far apart" test "$(dist photo.jpg photo.png phash)" -ge 20

check_eq "errors by file" \
	"$(jq -r 'select(.error) | "\(.name):\(.error.stage):\(.error.code)"' "$T/out" | sort | tr '\n' ' ')" \
	"bomb.jpg:featx:too_large bomb.png:featx:too_large corrupt.jpg:featx:corrupt cut.jpg:featx:truncated cut.png:featx:truncated cut.webp:featx:truncated empty.jpg:featx:empty noise.jpg:featx:not_image text.png:featx:not_image "
check "stderr names each bad file" sh -c "[ \$(grep -c '^featx: [a-z.-]*: ' '$T/err') -eq 9 ]"
check "a bomb's message gives the pixels and the limit" grep -q '^featx: bomb.png: .*100000x100000.*--max-pixels' "$T/err"
check "summary counts" grep -q '^featx: 10 images fingerprinted, 9 failed, 0 failed upstream' "$T/err"

# limits are options
featx -q --max-pixels 1000 -i "$T/list" > "$T/out2" 2> /dev/null
jq -r 'select(.error == null) | .name' "$T/out" | sort > "$T/good"
jq -r 'select(.error.code == "too_large") | .name' "$T/out2" | sort > "$T/big"
check_eq "--max-pixels refuses every real photo" "$(comm -23 "$T/good" "$T/big" | wc -l):$(wc -l < "$T/good")" "0:10"
featx -q --max-bytes 100 -i "$T/list" > "$T/out3" 2> /dev/null
check "--max-bytes names the limit" jq -e -s '[.[] | select(.name == "photo.jpg") | .error.message | test("max-bytes")] | all' "$T/out3"

# records that cannot be processed, and records that failed upstream, go on (the first
# names a container featx cannot open: a name of one letter)
printf '%s\n' '{"name":"nopath.jpg","src":"https://example.invalid/c"}' '{"name":"bad", ' \
	'{"name":"was.jpg","error":{"stage":"azget","code":"io","message":"boom"}}' \
	"{\"name\":\"gone.jpg\",\"path\":\"$T/nothing.jpg\"}" > "$T/odd"
featx -i "$T/odd" -o "$T/oddout" 2> "$T/odderr"
check_eq "odd records: exit 1" "$?" "1"
check_eq "odd records: all passed on" "$(wc -l < "$T/oddout")" "4"
check_eq "odd records: reasons" "$(jq -r '.error.code' "$T/oddout" | tr '\n' ' ')" "usage bad_record io not_found "
check "malformed line named with its number" grep -q 'odd:2: invalid JSON' "$T/odderr"
check_eq "upstream error untouched" "$(jq -c 'select(.name == "was.jpg") | .error' "$T/oddout")" \
	'{"stage":"azget","code":"io","message":"boom"}'

# byte-identical files (another folder, another name) are decoded once: their features are
# those a decode of each gives, whatever the threads; a damaged file fails each time
mkdir -p "$T/same/a" "$T/same/b b"
for f in photo.jpg photo.png photo.webp same-half.jpg cut.jpg corrupt.jpg; do
	cp "$T/in/$f" "$T/same/a/$f"
	cp "$T/in/$f" "$T/same/b b/copy of $f"
	cp "$T/in/$f" "$T/same/z-$f"
done
azls -q "$T/same" > "$T/samelist"
featx -j 1 --memo 0 --thumb 32 -i "$T/samelist" -o "$T/same0" 2> "$T/sameerr0"
for j in 1 3; do
	featx -j "$j" --thumb 32 -i "$T/samelist" -o "$T/same$j" 2> "$T/sameerr$j"
	check_eq "memo, -j $j: exit 1 (the damaged files)" "$?" "1"
	check "memo, -j $j: every record as without it, byte for byte" cmp "$T/same0" "$T/same$j"
	check "memo, -j $j: the damaged files fail each time, with their reason" \
		sh -c "[ \$(grep -c 'cut.jpg: \|corrupt.jpg: ' '$T/sameerr$j') -eq 6 ]"
done
check "memo: the summary counts the contents not decoded again" \
	grep -q '^featx: 12 images fingerprinted, 6 failed, 0 failed upstream; 18 read from their source; 8 the same bytes as an earlier image (not decoded again)' "$T/sameerr1"
check "--memo 0: every file decoded, no such count" \
	sh -c "grep '^featx: 12 images fingerprinted' '$T/sameerr0' | grep -v -q 'the same bytes'"
check_eq "memo: the copies carry their own names" \
	"$(jq -r 'select(.sha256 == "'"$(sha256sum "$jpg" | cut -d' ' -f1)"'") | .name' "$T/same1" | tr '\n' ' ')" \
	"a/photo.jpg b b/copy of photo.jpg z-photo.jpg "
# a memo too small for one photo's features keeps none, and changes nothing
featx -j 1 --memo 1K --thumb 32 -i "$T/samelist" -o "$T/samek" 2> "$T/sameerrk"
check "--memo 1K: the same records" cmp "$T/same0" "$T/samek"
check "--memo 1K: nothing answered from it" sh -c "! grep -q 'the same bytes' '$T/sameerrk'"
featx --memo lots < /dev/null > /dev/null 2>&1
check_eq "--memo lots: exit 2" "$?" "2"

featx --bogus < /dev/null > /dev/null 2>&1
check_eq "unknown option: exit 2" "$?" "2"
featx --max-pixels abc < /dev/null > /dev/null 2>&1
check_eq "bad number: exit 2" "$?" "2"
check "--help" sh -c 'featx --help | grep -q "^usage: featx"'
finish
