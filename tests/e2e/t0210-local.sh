#!/bin/sh
# Local sources: links in the source tree, the same name from two sources, and reads
# restricted to the folders a run names (--read-under, AZDEDUP_READ_ROOTS); folder to
# folder without libcurl.
. "$(dirname "$0")/lib.sh"
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- links ------------------------------------------------------------------------------
S="$T/src"
O="$T/outside"
mkdir -p "$S/sub" "$S/raw" "$O/od"
cp "$PHOTOS/astronaut.jpg" "$S/a.jpg"
cp "$PHOTOS/chelsea.jpg" "$S/sub/a.jpg"
cp "$PHOTOS/coffee.webp" "$S/raw/c.data"        # not an image name: not listed itself
cp "$PHOTOS/rocket.jpg" "$O/o.jpg"
cp "$PHOTOS/clock.jpg" "$O/od/x.jpg"
ln -s ../a.jpg "$S/sub/up.jpg"                   # relative, inside the tree
ln -s ../raw/c.data "$S/sub/c.webp"              # to a file that is not listed
ln -s ../../outside/o.jpg "$S/sub/out.jpg"       # out of the tree
ln -s /nonexistent/n.jpg "$S/dangling.jpg"
ln -s loop.jpg "$S/loop.jpg"
ln -s sub "$S/sublink"                           # a folder inside the tree
ln -s ../outside/od "$S/odlink"                  # a folder out of the tree
ln -s .. "$O/od/back"                            # from there, back above: a loop

azls "$S" > "$T/ls.ndjson" 2> "$T/err"
check_eq "links in the listing: some names failed: exit 1" "$?" "1"
check_eq "links to files inside are listed under their own names" \
	"$(jq -r 'select(.error == null) | .name' "$T/ls.ndjson" | tr '\n' ' ')" "a.jpg sub/a.jpg sub/c.webp sub/up.jpg "
check_eq "dangling links and loops are error records naming the link" \
	"$(jq -r 'select(.error) | "\(.name): \(.error.code)"' "$T/ls.ndjson" | tr '\n' '|')" "dangling.jpg: bad_link|loop.jpg: bad_link|"
check "a dangling link is said to be one" grep -q '^azls: dangling.jpg: dangling link' "$T/err"
check "a link out of the tree is left out with a message" \
	grep -q "^azls: sub/out.jpg: link out of the source (to $(cd "$O" && pwd -P)/o.jpg), not followed (--follow-links follows it)$" "$T/err"
check "so is a folder link out of the tree" grep -q '^azls: odlink/: link out of the source' "$T/err"
check "a folder link inside the tree is not followed, with a message" \
	grep -q '^azls: sublink/: link to a folder inside the source, not followed' "$T/err"
azls -q --follow-links "$S" > "$T/lsf.ndjson" 2> "$T/errf"
check_eq "--follow-links lists what links out of the tree lead to" \
	"$(jq -r 'select(.error == null) | .name' "$T/lsf.ndjson" | tr '\n' ' ')" \
	"a.jpg odlink/x.jpg sub/a.jpg sub/c.webp sub/out.jpg sub/up.jpg "
check "and stops at a loop, naming it" grep -q '^azls: odlink/back/: link loop' "$T/errf"

azget -q -d "$T/w1" -i "$T/ls.ndjson" > /dev/null 2>&1
check "a link to a file that is not listed: its work file holds the target's bytes" \
	cmp "$T/w1/sub/c.webp" "$S/raw/c.data"
azget -q -d "$T/w/deep" -i "$T/lsf.ndjson" -o "$T/got.ndjson" 2> /dev/null
check "work files of links are files, not links" sh -c "! find '$T/w' -type l | grep -q ."
check "a relative link's work file holds its target's bytes" cmp "$T/w/deep/sub/up.jpg" "$S/a.jpg"
check "also where the target is not listed" cmp "$T/w/deep/sub/c.webp" "$S/raw/c.data"
check "and out of the tree" cmp "$T/w/deep/sub/out.jpg" "$O/o.jpg"
featx -q --local 0 -i "$T/got.ndjson" -o "$T/feat.ndjson" 2> /dev/null
check_eq "featx hashes the bytes the link leads to" \
	"$(jq -r 'select(.name == "sub/up.jpg" or .name == "sub/c.webp") | .sha256' "$T/feat.ndjson" | tr '\n' ' ')" \
	"$(sha "$S/raw/c.data") $(sha "$S/a.jpg") "
azcp -q -i "$T/got.ndjson" "$T/dst" > /dev/null 2>&1
check "azcp copies the same bytes featx hashed" sh -c "cmp '$T/dst/sub/up.jpg' '$S/a.jpg' && cmp '$T/dst/sub/c.webp' '$S/raw/c.data'"

# --- the same name from two sources ------------------------------------------------------
mkdir -p "$T/s1" "$T/s2"
cp "$PHOTOS/astronaut.jpg" "$T/s1/same.jpg"
cp "$PHOTOS/rocket.jpg" "$T/s2/same.jpg"
cp "$PHOTOS/grass.jpg" "$T/s2/other.jpg"
{ azls -q "$T/s1"; azls -q "$T/s2"; } > "$T/two.ndjson"
azget -d "$T/w2" -i "$T/two.ndjson" -o "$T/two-got.ndjson" 2> "$T/err"
check_eq "two sources into one work folder: exit 0" "$?" "0"
check_eq "the same name from two sources: two work files" \
	"$(jq -r 'select(.name == "same.jpg") | .path' "$T/two-got.ndjson" | sort -u | wc -l)" "2"
check "each holds its own source's bytes" sh -c "
	jq -r 'select(.name == \"same.jpg\") | \"\(.src) \(.path)\"' '$T/two-got.ndjson' |
	while read -r s p; do cmp \"\$s/same.jpg\" \"\$p\" || exit 1; done"
check_eq "the first source keeps the plain layout" \
	"$(jq -r 'select(.src == "'"$(cd "$T/s1" && pwd -P)"'") | .path' "$T/two-got.ndjson")" "$(cd "$T" && pwd -P)/w2/same.jpg"
# which source is first is the input's order, not the parallel fetches' timing: one file
# from s1 ahead of forty from s3, fetched 16 at a time into fresh folders, ten times
mkdir -p "$T/s3"
i=0
while [ $i -lt 40 ]; do cp "$PHOTOS/rocket.jpg" "$T/s3/f$i.jpg"; i=$((i + 1)); done
cp "$PHOTOS/grass.jpg" "$T/s3/same.jpg"
{ azls -q "$T/s1"; azls -q "$T/s3"; } > "$T/many.ndjson"
plain=0
for run in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$T/w3"
	azget -q -P 16 -d "$T/w3" -i "$T/many.ndjson" -o "$T/many-got.ndjson" 2> /dev/null
	[ "$(jq -r 'select(.name == "same.jpg") | .path' "$T/many-got.ndjson" | head -n 1)" = \
	    "$(cd "$T" && pwd -P)/w3/same.jpg" ] && plain=$((plain + 1))
done
check_eq "the first record's source keeps the plain layout, whatever the timing" "$plain" "10"
azget -d "$T/w2" -i "$T/two.ndjson" -o "$T/two-got2.ndjson" 2> "$T/err"
check "a rerun fetches nothing" grep -q '^azget: 0 fetched, 3 already present' "$T/err"
check "and gives the same paths" cmp "$T/two-got.ndjson" "$T/two-got2.ndjson"
featx -q --local 0 -i "$T/two-got.ndjson" -o "$T/two-feat.ndjson" 2> /dev/null
check_eq "featx hashes each from its own bytes" \
	"$(jq -r 'select(.name == "same.jpg") | .sha256' "$T/two-feat.ndjson" | tr '\n' ' ')" \
	"$(sha "$T/s1/same.jpg") $(sha "$T/s2/same.jpg") "
azcp --overwrite -i "$T/two-got.ndjson" "$T/dst2" > "$T/two-cp.ndjson" 2> "$T/err"
check_eq "azcp: two sources' same name: exit 1" "$?" "1"
check "the second is refused with an error record, even with --overwrite" \
	grep -q "^azcp: same.jpg: the same name came from $(cd "$T/s1" && pwd -P) in this run: not copied over it" "$T/err"
check_same "the first source's file stays" "$(sha "$T/dst2/same.jpg")" "$(sha "$T/s1/same.jpg")"
{ azls -q "$T/s2"; azls -q "$T/s1"; } | azcp -P 16 "$T/dst2b" > /dev/null 2> "$T/err"
check "the first in the input wins, whatever the thread timing" \
	sh -c "cmp '$T/dst2b/same.jpg' '$T/s2/same.jpg' && grep -q 'same.jpg: the same name came from $(cd "$T/s2" && pwd -P) in this run' '$T/err'"
check_eq "what does not clash is copied" "$(jq -r '.copy // .error.code' "$T/two-cp.ndjson" | tr '\n' ' ')" "copied copied exists "

# --- reads restricted to named folders ---------------------------------------------------
SECRET="$T/secret"
mkdir -p "$SECRET"
cp "$PHOTOS/hubble.jpg" "$SECRET/key.jpg"
{
	echo '{"name":"key.jpg","src":"'"$SECRET"'"}'
	echo '{"name":"stolen.jpg","path":"'"$SECRET/key.jpg"'"}'
	jq -c 'select(.name == "a.jpg")' "$T/ls.ndjson"
} > "$T/evil.ndjson"
azcp --read-under "$S" -i "$T/evil.ndjson" "$T/dst3" > "$T/evil-cp.ndjson" 2> "$T/err"
check_eq "azcp --read-under: records naming files elsewhere fail: exit 1" "$?" "1"
check_eq "each refused with an error record, the rest copied" \
	"$(jq -r '.copy // .error.code' "$T/evil-cp.ndjson" | tr '\n' ' ')" "permission permission copied "
check_eq "nothing of the other folder reaches the destination" "$(cd "$T/dst3" && find . -type f | sort | tr '\n' ' ')" "./a.jpg "
check "the message names the file and the rule" \
	grep -q "^azcp: stolen.jpg: $(cd "$SECRET" && pwd -P)/key.jpg is outside the folders reads are allowed from" "$T/err"
AZDEDUP_READ_ROOTS="/nonexistent-root:$S" azcp -i "$T/evil.ndjson" "$T/dst4" > /dev/null 2> "$T/err"
check_eq "a read folder that does not exist: exit 2" "$?" "2"
AZDEDUP_READ_ROOTS="$T/w:$S" azcp -i "$T/evil.ndjson" "$T/dst4" > "$T/evil-cp2.ndjson" 2> /dev/null
check_eq "AZDEDUP_READ_ROOTS does the same" "$(jq -r '.copy // .error.code' "$T/evil-cp2.ndjson" | tr '\n' ' ')" "permission permission copied "
azget -d "$T/w4" --read-under "$S" -i "$T/evil.ndjson" > "$T/evil-get.ndjson" 2> /dev/null
check_eq "azget --read-under: a source elsewhere is refused, nothing fetched" \
	"$(jq -r '.error.code // .path' "$T/evil-get.ndjson" | head -1) $(find "$T/w4" -name key.jpg | wc -l)" "permission 0"
azget -q -d "$T/w5" --read-under "$S" -i "$T/lsf.ndjson" > "$T/f5.ndjson" 2> /dev/null
check_eq "a link out of a read folder is refused too (links are followed first)" \
	"$(jq -r 'select(.name == "sub/out.jpg" or .name == "sub/up.jpg") | .error.code // "ok"' "$T/f5.ndjson" | tr '\n' ' ')" "permission ok "
AZDEDUP_READ_ROOTS="$S:$T/w5" featx -q --local 0 -i "$T/evil.ndjson" -o "$T/evil-fx.ndjson" 2> /dev/null
check_eq "featx: the same rule for path and src" "$(jq -r '.error.code // .sha256' "$T/evil-fx.ndjson" | tr '\n' ' ')" \
	"permission permission $(sha "$S/a.jpg") "
featx -q --local 0 --read-under "$S" --read-under "$T/w5" -i "$T/f5.ndjson" -o "$T/f5-fx.ndjson" 2> /dev/null
check_eq "work files under a read folder are read" \
	"$(jq -r 'select(.name == "sub/up.jpg") | .sha256' "$T/f5-fx.ndjson")" "$(sha "$S/a.jpg")"

# --- without libcurl ----------------------------------------------------------------------
# the tools open libcurl on their first request to a store, they do not link it: where it
# cannot be loaded (empty files of its names found first through LD_LIBRARY_PATH) a run
# from folder to folder works as ever, and a container names the reason
mkdir -p "$T/nocurl" "$T/ncsrc"
cp "$PHOTOS/astronaut.jpg" "$T/ncsrc/a.jpg"
cp "$PHOTOS/coffee.webp" "$T/ncsrc/c.webp"
: > "$T/nocurl/libcurl.so.4"
: > "$T/nocurl/libcurl-gnutls.so.4"
LD_LIBRARY_PATH="$T/nocurl" azls -q "$T/ncsrc" > "$T/nc-ls.ndjson" 2> /dev/null
check_eq "without libcurl: azls lists a folder" \
	"$(jq -r 'select(.error == null) | .name' "$T/nc-ls.ndjson" | tr '\n' ' ')" "a.jpg c.webp "
LD_LIBRARY_PATH="$T/nocurl" featx -q --local 0 -i "$T/nc-ls.ndjson" -o "$T/nc-fx.ndjson" 2> /dev/null
check_eq "featx reads its files" "$(jq -r 'select(.name == "a.jpg") | .sha256' "$T/nc-fx.ndjson")" \
	"$(sha "$T/ncsrc/a.jpg")"
LD_LIBRARY_PATH="$T/nocurl" azcp -q -i "$T/nc-ls.ndjson" "$T/nc-dst" > /dev/null 2>&1
check_eq "azcp copies them to a folder" "$(cd "$T/nc-dst" && find . -type f | sort | tr '\n' ' ')" \
	"./a.jpg ./c.webp "
AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;' \
	LD_LIBRARY_PATH="$T/nocurl" azls az://ctr > /dev/null 2> "$T/nc-err"
check_eq "a container without libcurl: exit 2" "$?" "2"
check "saying libcurl cannot be started, and why" \
	grep -q '^azls: ctr: cannot start libcurl: .*libcurl.so.4' "$T/nc-err"

finish
