#!/bin/sh
# The whole pipeline on real photos and their known variants, through pipeline.mk:
# groups against the truth, broken files as error records, copies, reruns and resume
# after a kill.
. "$(dirname "$0")/lib.sh"

S="$T/src"
$PY "$TOP/examples/mkvariants.py" "$PHOTOS" "$S" > /dev/null || { fail "mkvariants"; finish; }
mv "$S/truth.tsv" "$T/truth.tsv"
mkdir -p "$S/bad"
jpg=$(ls "$PHOTOS"/*.jpg | head -n 1)
png=$(ls "$PHOTOS"/*.png | head -n 1)
webp=$(ls "$PHOTOS"/*.webp | head -n 1)
head -c 4000 "$jpg" > "$S/bad/truncated.jpg"
: > "$S/bad/empty.jpg"
echo "just some text" > "$S/bad/text.jpg"
head -c 3000 "$png" > "$S/bad/truncated.png"
head -c 2000 "$webp" > "$S/bad/truncated.webp"
# a PNG whose image data is overwritten half way
cp "$png" "$S/bad/corrupt.png"
size=$(stat -c %s "$png")
seeded_bytes 512 900 | dd of="$S/bad/corrupt.png" bs=1 seek=$((size / 2)) count=512 conv=notrunc 2> /dev/null
nimg=$(find "$S" -type f -not -name '.*' | wc -l)

run_pipeline() {  # WORK DST [extra make args]
	w=$1; d=$2; shift 2
	make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$S" DST="$d" WORK="$w" BIN="$BIN/" Q=-q "$@"
}

run_pipeline "$T/w1" "$T/dst1" > "$T/out1" 2>&1
check_eq "pipeline completes" "$?" "0"
R="$T/w1/report.ndjson"
check "groups equal the known variants" sh "$TOP/examples/compare-groups.sh" "$R" "$T/truth.tsv"
check_eq "every listed file is in the report once" "$(jq -r 'select(.type == null) | .name' "$R" | sort -u | wc -l)" "$nimg"
check_eq "broken files are error records from featx" \
	"$(jq -r 'select(.error) | "\(.name) \(.error.stage) \(.error.code)"' "$R" | sort | tr '\n' '|')" \
	"bad/corrupt.png featx corrupt|bad/empty.jpg featx empty|bad/text.jpg featx not_image|bad/truncated.jpg featx truncated|bad/truncated.png featx truncated|bad/truncated.webp featx truncated|"
check "each error names the reason" jq -e -s '[.[] | select(.error) | .error.message | length > 5] | all' "$R"
check_eq "summary counts the failures" "$(jq -r 'select(.type == "summary") | "\(.failed) \(.failed_by_stage.featx)"' "$R")" "6 6"
check "featx named each broken file on stderr" sh -c "grep -c '^featx: bad/' '$T/out1' | grep -qx 6"

# the destination holds exactly the keepers and the uniques, byte for byte
jq -r 'select(.dup.role == "keeper" or .dup.role == "unique") | .name' "$R" | sort > "$T/kept"
(cd "$T/dst1" && find . -type f | sed 's|^\./||' | sort) > "$T/copied"
check "destination = keepers + uniques" cmp "$T/kept" "$T/copied"
check_eq "one file per group of variants plus distinct photos" "$(wc -l < "$T/kept")" \
	"$(cut -f2 "$T/truth.tsv" | sort -u | wc -l)"
bad=0
while read -r n; do cmp -s "$S/$n" "$T/dst1/$n" || bad=$((bad + 1)); done < "$T/kept"
check_eq "copies are byte-identical" "$bad" "0"

# what a run prints: one line per stage on stdout (its tool, what it did, the time), no
# command and no tool summary; the tools' messages about single records on stderr.
# V=1 shows the commands and the summaries too; make -s prints no stage line.
make --no-print-directory -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst0" WORK="$T/w0" BIN="$BIN/" \
	> "$T/out0" 2> "$T/err0"
check_eq "default output: exit 0" "$?" "0"
check_eq "one line per stage that ran, in order, each with its time" \
	"$(sed 's/ ([0-9][0-9]*\.[0-9] s)$/ (T)/' "$T/out0" | tr '\n' '|')" \
	"$(printf '%s|' "azls       $nimg listed (T)" \
		"featx      $((nimg - 6)) fingerprinted, 0 already stored, 6 failed (T)" \
		"featstore  $nimg joined (T)" \
		"$(jq -r 'select(.type == "summary") | "dedupe     \(.images) images: \(.groups) groups, \(.duplicates) duplicates, \(.unique) unique, \(.failed) failed (T)"' "$R")" \
		"azcp       $(wc -l < "$T/kept") copied, 0 already there (T)")"
check_eq "stderr: featx's message for each broken file, nothing else" \
	"$(grep -c '^featx: bad/' "$T/err0"):$(wc -l < "$T/err0")" "6:6"
make --no-print-directory -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst0v" WORK="$T/w0v" BIN="$BIN/" \
	V=1 > "$T/out0v" 2> "$T/err0v"
check_eq "V=1: exit 0" "$?" "0"
check "V=1: the commands are shown" grep -q "^$BIN/dedupe -i " "$T/out0v"
check "V=1: and the tools' summaries" grep -q "^dedupe: [0-9]* images, [0-9]* groups" "$T/err0v"
check "V=1: and the stage lines" grep -q "^azcp       $(wc -l < "$T/kept") copied, 0 already there (" "$T/out0v"
make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst0s" WORK="$T/w0s" BIN="$BIN/" \
	> "$T/out0s" 2> "$T/err0s"
check_eq "make -s: no stage line, only the record messages" "$?:$(wc -l < "$T/out0s"):$(wc -l < "$T/err0s")" "0:0:6"
make --no-print-directory -f "$TOP/pipeline.mk" SRC="$S" WORK="$T/w0" BIN="$BIN/" \
	DEDUPE_OPTS=--no-such-option > "$T/out0f" 2> "$T/err0f"
check_eq "a tool's usage error stops the run: exit 2" "$?" "2"
check "the tool says why" grep -q "^dedupe: .*no-such-option" "$T/err0f"
check "pipeline.mk names the stage and the tool" \
	grep -qx "pipeline.mk: report: dedupe stopped the run (exit status 2)" "$T/err0f"

# a rerun redoes nothing; `refresh` reruns every stage, which skip their finished work
run_pipeline "$T/w1" "$T/dst1" > "$T/out2" 2>&1
check_eq "rerun with markers: no tool runs" "$(cat "$T/out2")" ""
# what such a rerun starts: one shell for the whole run (make's child, found up the line
# of parents), which asks each tool its version and featx its spec once (the manifests
# need them), and runs nothing else of ours
mkdir -p "$T/wrap"
for t in azls azget featx featstore dedupe azcp; do
	cat > "$T/wrap/$t" <<WRAP
#!/bin/sh
p=\$PPID
while q=\$(cut -d ' ' -f 4 /proc/\$p/stat) && [ "\$(cat /proc/\$q/comm)" != make ]; do p=\$q; done
echo "\$p $t \$*" >> "$T/starts"
exec "$BIN/$t" "\$@"
WRAP
	chmod +x "$T/wrap/$t"
done
: > "$T/starts"
make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst1" WORK="$T/w1" BIN="$T/wrap/" Q=-q > "$T/out2w" 2>&1
check_eq "rerun with markers: each tool asked its version once, featx its spec once" \
	"$(cut -d ' ' -f 2- "$T/starts" | sort | tr '\n' '|')" \
	"azcp --version|azls --version|dedupe --version|featstore --version|featx --spec|featx --version|"
check_eq "rerun with markers: all from one shell" "$(cut -d ' ' -f 1 "$T/starts" | sort -u | wc -l)" "1"
cp "$R" "$T/report1"
run_pipeline "$T/w1" "$T/dst1" refresh > /dev/null 2>&1
make --no-print-directory -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst1" WORK="$T/w1" BIN="$BIN/" V=1 > "$T/out3" 2>&1
check "refresh: no copies made (no azget)" sh -c "! grep -q '^azget' '$T/out3'"
# stored failures count as not stored: only the 6 broken files are read again
check "refresh: nothing read or fingerprinted again but the broken files" \
	grep -q '^featx: 0 images fingerprinted, 6 failed, 0 failed upstream; 6 read from their source' "$T/out3"
check "refresh: nothing copied again" grep -q '^azcp: 0 copied' "$T/out3"
check "refresh: same report" cmp "$R" "$T/report1"

# Kill the pipeline with SIGKILL half way through featx, then half way through azcp, and
# rerun: the result must equal the clean run's.  Wrappers make "half way" exact: they
# feed the real tool half of its input and then hang until killed.
mkdir -p "$T/bin"
for t in azls azget featx featstore dedupe azcp; do ln -s "$BIN/$t" "$T/bin/$t"; done
half() {  # TOOL [DIV]: replace it in $T/bin by a wrapper that stops after 1/DIV (1/2)
	rm -f "$T/bin/$1"
	cat > "$T/bin/$1" <<WRAP
#!/bin/sh
# featx --spec (what the stage's marker records) is no run over records: pass it on
case " \$* " in *" --spec "*) exec "$BIN/$1" "\$@";; esac
prev=; for a; do [ "\$prev" = -i ] && in=\$a; prev=\$a; done
n=\$(( \$(wc -l < "\$in") / ${2:-2} ))
head -n \$n "\$in" > "$T/half.in"
shift_in=; for a; do if [ "\$shift_in" = 1 ]; then a="$T/half.in"; fi; shift_in=; [ "\$a" = -i ] && shift_in=1; set -- "\$@" "\$a"; shift; done
"$BIN/$1" "\$@"
touch "$T/half.done"
exec sleep 600
WRAP
	chmod +x "$T/bin/$1"
}
kill_midway() {  # run the pipeline with $T/bin until the wrapper hangs, then SIGKILL it all
	rm -f "$T/half.done"
	setsid make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$S" DST="$T/dst2" WORK="$T/w2" BIN="$T/bin/" Q=-q > /dev/null 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 3000 ] && [ ! -e "$T/half.done" ]; do sleep 0.02; i=$((i + 1)); done
	# the wrapped tool is done and hangs: let the store's writer take in all it wrote
	# (featx's half is stored once the store holds as many records), bounded
	if [ -e "$T/half.done" ] && [ "${1:-}" = featx ]; then
		i=0
		while [ $i -lt 1500 ] && [ "$("$BIN/featstore" cat -q "$T/w2/store" 2> /dev/null | wc -l)" -lt "$(wc -l < "$T/half.in")" ]; do
			sleep 0.02; i=$((i + 1))
		done
	fi
	kill -9 -$pid 2> /dev/null
	wait $pid 2> /dev/null
}
half featx
kill_midway featx
check "killed in featx: no report yet" test ! -e "$T/w2/.done/features"
stored=$("$BIN/featstore" cat -q "$T/w2/store" 2> /dev/null | jq -r 'select(.error == null) | .name' | wc -l)
check "some features were stored before the kill" test "$stored" -gt 0
rm -f "$T/bin/featx" && ln -s "$BIN/featx" "$T/bin/featx"
half azcp 4    # a report lists the kept originals early: stop before most of them
kill_midway
check "killed in azcp: copy not finished" test ! -e "$T/w2/.done/copy"
redone=$(jq -s 'length' "$T/w2/todo.ndjson")
check_eq "featx redid only what was not stored" "$((stored + redone))" "$nimg"
ncopied=$(find "$T/dst2" -type f | wc -l)
check "some files were copied before the kill" test "$ncopied" -gt 0
# what a kill in the middle of a file leaves behind
last=
while read -r n; do [ -e "$T/dst2/$n" ] || last=$n; done < "$T/kept"
check "some files were still to copy after the kill" test -n "$last"
mkdir -p "$(dirname "$T/dst2/$last")"
printf 'half a file' > "$(dirname "$T/dst2/$last")/.$(basename "$last").partial"
run_pipeline "$T/w2" "$T/dst2" > /dev/null 2>&1
check_eq "rerun after the kills completes" "$?" "0"
canon() { jq -c 'select(.type == null) | [.name, .dup, .error.code]' "$1"; }
check_same "same groups as the clean run" "$(canon "$T/w2/report.ndjson")" "$(canon "$R")"
check "same destination as the clean run" diff -r "$T/dst1" "$T/dst2"
check_eq "no leftover temporaries" "$(find "$T/dst2" "$T/w2" -name '*.partial' -o -name '*.tmp.*' | wc -l)" "0"

# usage errors stop at once
make --no-print-directory -s -f "$TOP/pipeline.mk" WORK="$T/w3" BIN="$BIN/" > /dev/null 2> "$T/err"
check_eq "SRC missing: stops with a message" "$?:$(head -n 1 "$T/err")" \
	"2:pipeline.mk: SRC is not set (make -f pipeline.mk SRC=... DST=...)"
finish
