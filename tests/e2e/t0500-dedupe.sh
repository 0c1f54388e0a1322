#!/bin/sh
# dedupe on feature records written by hand: report layout, grouping, keep policy,
# determinism, failures counted by stage, bad input, exit codes.
. "$(dirname "$0")/lib.sh"

# a: the original; a-small: resized (fewer pixels); a-copy: same bytes; b: unrelated;
# c: 16 bits from a on every hash (too far); d: 8 bits from a-small only
cat > "$T/in" <<'EOF'
{"name":"a.jpg","size":5000,"mtime":"2020-01-01T00:00:00Z","width":400,"height":300,"sha256":"1111111111111111111111111111111111111111111111111111111111111111","phash":"0000000000000000","dhash":"0000000000000000","whash":"0000000000000000","extra":{"kept":true}}
{"name":"a-small.jpg","size":1500,"mtime":"2020-01-02T00:00:00Z","width":200,"height":150,"sha256":"2222222222222222222222222222222222222222222222222222222222222222","phash":"0000000000000007","dhash":"0000000000000003","whash":"0000000000000001"}
{"name":"copies/a-copy.jpg","size":5000,"mtime":"2021-01-01T00:00:00Z","width":400,"height":300,"sha256":"1111111111111111111111111111111111111111111111111111111111111111","phash":"0000000000000000","dhash":"0000000000000000","whash":"0000000000000000"}
{"name":"b.png","size":9000,"mtime":"2020-01-01T00:00:00Z","width":640,"height":480,"sha256":"3333333333333333333333333333333333333333333333333333333333333333","phash":"ffffffffffffffff","dhash":"f0f0f0f0f0f0f0f0","whash":"ffffffff00000000"}
{"name":"c.jpg","size":4000,"mtime":"2020-01-01T00:00:00Z","width":400,"height":300,"sha256":"4444444444444444444444444444444444444444444444444444444444444444","phash":"000000000000ffff","dhash":"000000000000ffff","whash":"000000000000ffff"}
{"name":"broken.jpg","size":10,"error":{"stage":"featx","code":"truncated","message":"truncated: JPEG data ends early"}}
{"name":"gone.jpg","error":{"stage":"azget","code":"not_found","message":"not found"}}
EOF

dedupe -i "$T/in" -o "$T/r" 2> "$T/err"
check_eq "exit 0 when dedupe itself failed nothing" "$?" "0"
check_eq "every record once, in input order, then groups, then the summary" \
	"$(jq -r '.name // .type' "$T/r" | tr '\n' ' ')" \
	"a.jpg a-small.jpg copies/a-copy.jpg b.png c.jpg broken.jpg gone.jpg group summary "
check_eq "roles" "$(jq -r 'select(.type == null) | "\(.name)=\(.dup.role // "-")"' "$T/r" | tr '\n' ' ')" \
	"a.jpg=keeper a-small.jpg=duplicate copies/a-copy.jpg=duplicate b.png=unique c.jpg=unique broken.jpg=- gone.jpg=- "
check_eq "stages and distances" \
	"$(jq -c 'select(.dup.role == "duplicate") | [.name, .dup.keeper, .dup.stage, .dup.phash, .dup.dhash, .dup.whash]' "$T/r" | tr '\n' ' ')" \
	'["a-small.jpg","a.jpg","near",3,2,1] ["copies/a-copy.jpg","a.jpg","exact",0,0,0] '
check_eq "unknown fields pass through" "$(jq -c 'select(.name == "a.jpg") | .extra' "$T/r")" '{"kept":true}'
check_eq "group record" "$(jq -c 'select(.type == "group") | [.group, .keeper, .count, .bytes_saved, [.members[].name]]' "$T/r")" \
	'[1,"a.jpg",3,6500,["a-small.jpg","copies/a-copy.jpg"]]'
check_eq "summary" \
	"$(jq -c 'select(.type == "summary") | [.images, .groups, .duplicates, .exact, .near, .unique, .bytes_saved, .failed, .failed_by_stage]' "$T/r")" \
	'[5,1,2,1,1,2,6500,2,{"featx":1,"azget":1}]'
check "summary line on stderr" grep -q '^dedupe: 5 images, 1 groups, 2 duplicates (1 exact, 1 near, 0 local), 2 unique, 2 failed' "$T/err"

# the same records in another order: the same decisions and the same group records
tac "$T/in" | dedupe -q > "$T/r2"
canon() { jq -c 'select(.type != "summary") | [.name, .dup, .type, .members]' "$1" | sort; }
check_eq "input order does not change the result" "$(canon "$T/r2")" "$(canon "$T/r")"
dedupe -q -i "$T/in" > "$T/r3"
check "byte-identical on a rerun" cmp "$T/r" "$T/r3"
dedupe -q -i "$T/r" > "$T/r4"
check_eq "running on its own report gives the same report" "$(canon "$T/r4")" "$(canon "$T/r")"

# keep policy
k() { dedupe -q "$@" -i "$T/in" | jq -r 'select(.type == "group") | .keeper'; }
check_eq "--keep size: ties on size go to the next key" "$(k --keep size)" "a.jpg"
check_eq "--keep date,name: the newest copy loses" "$(k --keep date)" "a.jpg"
check_eq "--keep name" "$(k --keep name)" "a-small.jpg"
check_eq "--prefer a prefix" "$(k --prefer copies/)" "copies/a-copy.jpg"
check_eq "summary names the policy" "$(dedupe -q --keep size -i "$T/in" | jq -r 'select(.type == "summary") | .keep')" "size,name"

# thresholds
check_eq "--phash-max 2 leaves the resized copy out" \
	"$(dedupe -q --phash-max 2 -i "$T/in" | jq -r 'select(.name == "a-small.jpg") | .dup.role')" "unique"
# these records carry no keypoints: a hash match alone must stand out by 7 bits from what
# the search saw (GRP_SEEN_RADIUS), so c, 16 bits off, needs a search to 23
role_c() { dedupe -q "$@" -i "$T/in" | jq -r 'select(.name == "c.jpg") | .dup.role'; }
check_eq "--phash-max 16 --dhash-max 16 --whash-max 16: c is in reach, but saw nothing past 16" \
	"$(role_c --phash-max 16 --dhash-max 16 --whash-max 16)" "unique"
check_eq "--phash-max 23 --dhash-max 16 --whash-max 16 lets c in" \
	"$(role_c --phash-max 23 --dhash-max 16 --whash-max 16)" "duplicate"
check_eq "--exact-only" "$(dedupe -q --exact-only -i "$T/in" | jq -c 'select(.type == "summary") | [.exact, .near]')" "[1,0]"

# bad input: a malformed line and a record without features are errors, not the end
{ head -n 2 "$T/in"; echo '{"name": "half'; echo '{"name":"nofeat.jpg","size":3}'; } > "$T/bad"
dedupe -i "$T/bad" -o "$T/rb" 2> "$T/errb"
check_eq "exit 1 when records failed here" "$?" "1"
check "the malformed line is named" grep -q "^dedupe: .*bad:3: invalid JSON" "$T/errb"
check "the featureless record is named" grep -q '^dedupe: nofeat.jpg: no features (run featx first)' "$T/errb"
check_eq "both are counted" "$(jq -c 'select(.type == "summary") | .failed_by_stage' "$T/rb")" '{"input":1,"dedupe":1}'
check_eq "the good ones are still grouped" "$(jq -r 'select(.type == "group") | .keeper' "$T/rb")" "a.jpg"

# modes and searches on the example photos and their variants (real features)
"$PY" "$TOP/examples/mkvariants.py" --set full "$PHOTOS" "$T/var" > /dev/null
azls -q "$T/var" | featx -q > "$T/feat"
for m in star clique components; do
	for how in index all; do
		dedupe -q --mode $m --search $how -i "$T/feat" -o "$T/m-$m-$how" || fail "mode $m, search $how"
	done
	check "--mode $m: the index gives exactly the all-pairs report" cmp "$T/m-$m-index" "$T/m-$m-all"
	shuf --random-source="$T/feat" "$T/feat" > "$T/feat-shuf"
	dedupe -q --mode $m -i "$T/feat-shuf" -o "$T/m-$m-shuf"
	check_eq "--mode $m: input order changes only the order of the image records" \
		"$(sort "$T/m-$m-shuf" | cksum)" "$(sort "$T/m-$m-index" | cksum)"
done
check "star is the default" sh -c "dedupe -q -i '$T/feat' | cmp - '$T/m-star-index'"
grp() { jq -c 'select(.type == "group") | [.keeper] + ([.members[].name] | sort)' "$1" | sort; }
check_eq "the photos' variants make the same groups in every mode" "$(grp "$T/m-clique-index")" "$(grp "$T/m-star-index")"
check_eq "components: as many groups as photos with variants" \
	"$(jq -r 'select(.type == "summary") | .groups' "$T/m-components-index")" "7"
dedupe --mode chain < /dev/null > /dev/null 2> "$T/e"
check_eq "unknown mode: exit 2" "$?" "2"

# mirrored and turned copies: found only with --rotations, told which way they turn
mkdir -p "$T/var/turned"
"$PY" - "$PHOTOS/chelsea.jpg" "$T/var/turned" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1])
for name, op in (("mirror", Image.Transpose.FLIP_LEFT_RIGHT), ("upside", Image.Transpose.ROTATE_180),
                 ("ccw", Image.Transpose.ROTATE_90), ("cw", Image.Transpose.ROTATE_270),
                 ("transposed", Image.Transpose.TRANSPOSE)):
    im.transpose(op).save("%s/chelsea-%s.png" % (sys.argv[2], name))
PY
azls -q "$T/var" | featx -q > "$T/feat-t"
dedupe -q --no-local --no-rotations -i "$T/feat-t" -o "$T/t-plain"
check_eq "hashes alone, with --no-rotations: turned copies are unique" \
	"$(jq -r 'select((.name // "") | startswith("turned/")) | .dup.role' "$T/t-plain" | sort -u)" "unique"
# keypoints are invariant to turns, not to mirroring: the turned copies join the photo,
# the transposed one (a mirror turned) joins the mirror
dedupe -q --no-rotations -i "$T/feat-t" -o "$T/t-local"
check_eq "keypoints: turned copies match the photo, mirrored ones each other" \
	"$(jq -r 'select((.name // "") | test("^(originals/chelsea|turned/)")) | "\(.name)=\(.dup.role)/\(.dup.stage // "-")/\(.dup.keeper // "-")"' "$T/t-local" | tr '\n' ' ')" \
	"originals/chelsea.jpg=keeper/-/- turned/chelsea-ccw.png=duplicate/local/originals/chelsea.jpg turned/chelsea-cw.png=duplicate/local/originals/chelsea.jpg turned/chelsea-mirror.png=keeper/-/- turned/chelsea-transposed.png=duplicate/local/turned/chelsea-mirror.png turned/chelsea-upside.png=duplicate/local/originals/chelsea.jpg "
check_eq "keypoints: each local match says how many keypoints agree" \
	"$(jq -r 'select(.dup.stage == "local") | .dup.inliers >= 16' "$T/t-local" | sort -u)" "true"
mkdir -p "$T/kptmp"
TMPDIR="$T/kptmp" dedupe -q --no-rotations --kp-cache 0 -j 3 -i "$T/feat-t" -o "$T/t-local0"
check "keypoints with no cache (read back from the temporary file each time): the same report" \
	cmp "$T/t-local" "$T/t-local0"
check_eq "and no temporary file left" "$(ls -A "$T/kptmp")" ""
dedupe -q --kp-cache -1 < /dev/null > /dev/null 2>&1
check_eq "--kp-cache -1: exit 2" "$?" "2"
dedupe -q --rotations -i "$T/feat-t" -o "$T/t-rot"
check_eq "with --rotations (the default) they join the photo's group" \
	"$(jq -r --arg k "$(jq -r 'select(.name == "originals/chelsea.jpg") | .dup.group' "$T/t-rot")" \
	'select((.name // "") | startswith("turned/")) | .dup.group == ($k | tonumber)' "$T/t-rot" | sort -u)" "true"
check_eq "each says how it is turned (EXIF orientation)" \
	"$(jq -r 'select((.name // "") | startswith("turned/")) | "\(.name)=\(.dup.orientation // 1)"' "$T/t-rot" | tr '\n' ' ')" \
	"turned/chelsea-ccw.png=6 turned/chelsea-cw.png=8 turned/chelsea-mirror.png=2 turned/chelsea-transposed.png=5 turned/chelsea-upside.png=3 "
check_eq "and no other photos join anything" "$(grp "$T/t-rot" | grep -v chelsea)" "$(grp "$T/m-star-index" | grep -v chelsea)"
dedupe -q --rotations --search all -i "$T/feat-t" -o "$T/t-rot-all"
check "--rotations: the index gives exactly the all-pairs report" cmp "$T/t-rot" "$T/t-rot-all"

# keep by format: the lossless copy keeps, in the order given
check_eq "--keep format: the PNG of the clock keeps" \
	"$(dedupe -q --keep format,resolution -i "$T/feat" | jq -r 'select(.type == "group" and (.keeper | test("clock"))) | .keeper')" \
	"variants/clock-fmt.png"
check_eq "--format-order jpeg,png: a JPEG keeps" \
	"$(dedupe -q --keep format,resolution --format-order jpeg,png -i "$T/feat" | jq -r 'select(.type == "group" and (.keeper | test("clock"))) | .keeper | sub(".*[.]"; "")')" \
	"jpg"
dedupe --format-order ,, < /dev/null > /dev/null 2>&1
check_eq "a malformed --format-order: exit 2" "$?" "2"

# many lines, parsed in batches on several threads: the same report and the same
# messages, in input order, whatever the thread count; bad lines across batch edges
python3 - > "$T/many" <<'EOF'
import hashlib
for i in range(20000):
    if i % 4999 == 17:
        print("{not json %d" % i)
    elif i % 7001 == 5:
        print('{"name":"nofeat%05d.jpg"}' % i)
    else:
        h = hashlib.sha256(b"%d" % (i // 2)).hexdigest()
        print('{"name":"m/%05d.jpg","size":%d,"phash":"%s","dhash":"%s","whash":"%s"}'
              % (i, 1000 + i, h[:16], h[16:32], h[32:48]))
EOF
dedupe -q -j1 -i "$T/many" -o "$T/many1" 2> "$T/many1.err"
check_eq "20000 lines: exit 1 (bad lines and records without features)" "$?" "1"
dedupe -q -j3 -i "$T/many" -o "$T/many3" 2> "$T/many3.err"
check "20000 lines: -j3 writes what -j1 writes" cmp "$T/many1" "$T/many3"
check "20000 lines: the same messages in the same order" cmp "$T/many1.err" "$T/many3.err"
# the first pass keeps the pairs that matched in chunks (of a million pairs) freed as
# they are joined: chunks of 7 pairs on three threads, the same report
AZD_CL_CHUNK=7 dedupe -q -j3 -i "$T/many" -o "$T/many3c" 2> /dev/null
check "20000 lines: chunks of 7 kept pairs, the same report" cmp "$T/many1" "$T/many3c"
check_eq "20000 lines: every bad line named, in order" \
	"$(grep -o 'many:[0-9]*: invalid JSON' "$T/many3.err" | cut -d: -f2 | tr '\n' ' ')" "18 5017 10016 15015 "
check_eq "20000 lines: every line back once, in order" \
	"$(jq -r 'select(.type == null) | .name // .raw' "$T/many3" | awk 'END { print NR }')" "20000"
check_eq "20000 lines: pairs of equal hashes grouped" \
	"$(jq -c 'select(.type == "summary") | [.images, .groups, .failed]' "$T/many3")" "[19993,9993,7]"
check "records wait in an unlinked temporary file: none left in TMPDIR" \
	sh -c "mkdir -p '$T/tmp' && TMPDIR='$T/tmp' dedupe -q -i '$T/many' -o /dev/null; [ -z \"\$(ls -A '$T/tmp')\" ]"
TMPDIR="$T/no/such/dir" dedupe -q -i "$T/in" -o "$T/r-notmp" 2> "$T/e"
check_eq "no room for the temporary file: exit 2" "$?" "2"
check "no room for the temporary file: says where" grep -q "in $T/no/such/dir" "$T/e"

# usage errors
dedupe --keep colour < /dev/null > /dev/null 2> "$T/e"
check_eq "unknown keep key: exit 2" "$?" "2"
check "unknown keep key: says which" grep -q "colour" "$T/e"
dedupe --phash-max 99 < /dev/null > /dev/null 2>&1
check_eq "distance out of range: exit 2" "$?" "2"
dedupe extra-arg < /dev/null > /dev/null 2>&1
check_eq "stray argument: exit 2" "$?" "2"
dedupe -i "$T/missing" > /dev/null 2> "$T/e"
check_eq "missing input: exit 2" "$?" "2"
check "missing input: named" grep -q "missing" "$T/e"
check_eq "empty input: just a summary" "$(dedupe -q < /dev/null | jq -c '[.type, .images]')" '["summary",0]'
check "--help" sh -c 'dedupe --help | grep -q "^usage: dedupe"'
check "--version" sh -c 'dedupe --version | grep -q "^dedupe (azdedup) "'
finish
