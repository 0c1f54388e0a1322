#!/bin/sh
# The options all six tools share (lib/records/tool.c): a usage error is one line naming
# the problem and then "try 'TOOL --help'" on stderr, exit 2, nothing on stdout and never
# the whole help; a number that is not one ("8x", "", "-1", "+8", too large) is a usage
# error naming the option and the value; --version is one line in one format for all;
# --help and -h print the help on stdout and exit 0.
. "$(dirname "$0")/lib.sh"

TOOLS="azls azget featx featstore dedupe azcp"
unset AZDEDUP_SRC AZDEDUP_DST
mkdir -p "$T/src"

# usage TOOL DESC PATTERN ARGS...: exit 2, nothing on stdout, the first line of stderr
# matches PATTERN (grep -E, after "TOOL: "), the second is the try line, and no more
usage() {
	ut=$1 ud=$2 up=$3
	shift 3
	"$ut" "$@" < /dev/null > "$T/out" 2> "$T/err"
	urc=$?
	check_eq "$ut $ud: exit 2" "$urc" "2"
	check_eq "$ut $ud: nothing on stdout" "$(wc -c < "$T/out")" "0"
	head -n 1 "$T/err" > "$T/err1"
	check "$ut $ud: one line naming it" grep -Eq -- "^$ut: $up" "$T/err1"
	check_eq "$ut $ud: then the try line, and no more" "$(sed -n '2,$p' "$T/err")" \
	    "try '$ut --help'"
	check_eq "$ut $ud: not the whole help" "$(grep -c 'usage:' "$T/err")" "0"
}

# unknown options and missing values: getopt's complaint, then the try line
for t in $TOOLS; do
	case $t in
	featstore) pre="has $T/store" ;;
	*) pre= ;;
	esac
	usage $t "unknown option" ".*'--bogus'" $pre --bogus
	usage $t "missing value" ".*(output|'o')" $pre -o
done

# numbers: -j / -P of the tools that run in parallel, and other whole-number options
num() {
	ut=$1 uo=$2 uv=$3
	shift 3
	ue=$(printf '%s' "$uv" | sed 's/[].[*^$+?(){}|\\]/\\&/g')
	usage $ut "$uo '$uv'" "$uo: .*'$ue'" "$@" $uo "$uv"
}
for v in 8x "" -1 +8 0 65 " 8" 99999999999999999999; do
	num featx --threads "$v"
	num dedupe --threads "$v"
	num azget --parallel "$v" -d "$T/work"
	num azcp --parallel "$v" "$T/dst"
done
usage featx "-j8x" "--threads: .*'8x'" -j8x
usage azget "-P 8x" "--parallel: .*'8x'" -d "$T/work" -P 8x
check "a refused -P made no work folder" test ! -e "$T/work"
num dedupe --phash-max 65
num dedupe --phash-max 1e1
num dedupe --kp-cache 1G
num dedupe --keypoints 8x
num dedupe --local-min ""
num featx --thumb 8x
num featx --local 1.5
num featx --max-pixels 1.5
num featx --max-pixels 0
num featx --max-bytes 99999999999999999999
num featx --max-memory 8x
# the forms they take stay taken
check "featx --max-pixels 1e8 --thumb 64 --local 0 -j 2 --spec" \
    sh -c 'featx --max-pixels 1e8 --thumb 64 --local 0 -j 2 --spec | grep -q "^v[0-9]* local=0 thumb=64"'
check "dedupe -j 1 --phash-max 0 --kp-cache 0 on nothing" \
    sh -c 'dedupe -q -j 1 --phash-max 0 --kp-cache 0 < /dev/null | grep -q summary'
check "azcp -P 1 on nothing" sh -c "azcp -q -P 1 '$T/dst' < /dev/null"
check "azget -P 64 on nothing" sh -c "azget -q -P 64 -d '$T/work' < /dev/null"

# operands: missing or one too many
usage azls "extra argument" "b: unexpected argument" "$T/src" b
usage azls "no SRC" "missing SRC"
usage azget "no -d" "missing -d"
usage azget "extra argument" "x: unexpected argument" -d "$T/work" x
usage azcp "no DST" "missing DST"
usage azcp "extra argument" "b: unexpected argument" "$T/dst" b
usage featx "extra argument" "x: unexpected argument" x
usage dedupe "extra argument" "x: unexpected argument" x
usage featstore "no command" "missing command"
usage featstore "unknown command" "frob: unknown command" frob "$T/store"
usage featstore "no STORE" "has: missing STORE" has
usage featstore "option before the command" "-q: the command comes first" -q has "$T/store"
usage featstore "option that does not fit the command" "cat: options or arguments do not fit" \
    cat "$T/store" -i x
usage dedupe "bad --mode" "--mode: .*'ring'" --mode ring
usage dedupe "bad --format-order" "--format-order: .*'png,,jpeg'" --format-order png,,jpeg
usage featx "bad --order" "--order: .*'random'" --order random
usage azls "bad --shard" "--shard: .*'1/-3'" --shard 1/-3 "$T/src"

# --version: one line, one format, one version for all six
for t in $TOOLS; do
	for o in -V --version; do
		$t $o > "$T/out" 2> "$T/err"
		check_eq "$t $o: exit 0, nothing on stderr" "$?:$(cat "$T/err")" "0:"
		check "$t $o: one line 'TOOL (azdedup) VERSION'" \
		    sh -c "[ \$(wc -l < '$T/out') -eq 1 ] && grep -Eqx '$t \(azdedup\) [0-9]+\.[0-9]+\.[0-9]+' '$T/out'"
	done
	sed 's/^[a-z]* //' "$T/out" >> "$T/versions"
done
check_eq "the same version in all six" "$(sort -u "$T/versions" | wc -l)" "1"

# --help: on stdout, exit 0, with the shared options at the end
for t in $TOOLS; do
	for o in -h --help; do
		$t $o > "$T/out" 2> "$T/err"
		check_eq "$t $o: exit 0, nothing on stderr" "$?:$(cat "$T/err")" "0:"
		check "$t $o: the usage first" grep -q "^usage: $t" "$T/out"
		check_eq "$t $o: ends with -q, -h, -V" \
		    "$(tail -n 3 "$T/out" | awk '{ printf "%s%s ", $1, $2 }')" \
		    "-q,--quiet -h,--help -V,--version "
	done
done
finish
