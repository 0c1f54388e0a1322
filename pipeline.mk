# pipeline.mk — the six azdedup stages as make targets, each with a resume marker.
#
#   make -f pipeline.mk SRC=photos/ DST=unique/ [WORK=work] [STORE=WORK/store] [KEEP_FILES=1]
#   make -f pipeline.mk SRC=... DST=... status      what is done, stale (and why) or to do
#   make -f pipeline.mk SRC=... DST=... FILTER='--include "*.jpg" --max-size 20M'
#   make -f pipeline.mk SRC=... DST=... V=1       each command and the tools' own summaries
#
# Output: one line per stage that ran, its tool, what it did and how long it took
#   azls       1,236 listed (0.4 s)
#   featx      1,230 fingerprinted, 0 already stored, 6 failed (19.2 s)
#   featstore  1,236 joined (0.3 s)
#   dedupe     1,230 images: 210 groups, 540 duplicates, 480 unique, 6 failed (1.1 s)
#   azcp       690 copied, 0 already there (2.5 s)
# and the tools' messages about single records on stderr.  V=1 shows, besides, each command
# and each tool's own summary (and, on a terminal, its progress line); make -s shows none
# of it, only errors.  A tool that stops the run (exit 2) says why, and pipeline.mk names
# the stage and the tool.
#
# FILTER chooses what the list stage looks at, with azls's rclone-style filters:
# --include/--exclude PATTERN, --include-from/--exclude-from FILE, --min-size/--max-size
# SIZE, --max-age/--min-age AGE (azls(1)).  Its words are split as the shell would split
# them, quotes and backslashes included (by xargs, never by eval: nothing in it runs, and a
# pattern is never expanded against the files here).  A changed FILTER makes the list
# stage, and so every stage after it, stale.
#
# Stages and their outputs (all under WORK, each written atomically):
#   list      azls  (SRC from $AZDEDUP_SRC)      -> list.ndjson
#   fetch     nothing by default: featx reads each image from SRC itself
#             KEEP_FILES=1: azget -d WORK/files  -> fetched.ndjson
#   features  featstore has --spec | featx | featstore put STORE   (only what is not stored
#             with the features FEATX_OPTS ask for: featx --spec)  -> todo.ndjson
#   join      featstore get --spec STORE         -> features.ndjson
#   report    dedupe                             -> report.ndjson
#             DECISIONS=FILE: dedupe --decisions FILE (a reviewer's decisions, dedupe(1))
#   copy      azcp  (DST from $AZDEDUP_DST)      -> copied.ndjson
#             DRY_RUN=1: azcp --dry-run -> plan.ndjson (what it would copy or skip; nothing
#             written to DST, the copy stage not marked done)
#
# No local copies.  By default no image is copied into WORK: `featstore has` takes the
# listing and passes on only the names whose etag (modification time and size for a
# folder's file, the ETag for a blob) the store has no features for, and featx reads those
# straight from SRC (a container's blobs into memory, checked against the listing's size,
# ETag and MD5; a folder's files where they are).  WORK holds the listings, the store
# (features and thumbnails) and the reports, and a rerun reads only new or changed images.
# KEEP_FILES=1 keeps the old layout: azget copies every image into WORK/files first (and
# keeps them), featx reads those copies, and `featstore has` filters what azget fetched.
#
# Markers.  A stage that finished leaves WORK/.done/STAGE, a manifest of what its result
# depends on: the tools' versions, its options (and for features and join the feature
# spec and STORE), SRC or DST without their query, the marker of the stage before it and
# the SHA-256 of its input file, and the SHA-256 of its output.  Each run recomputes that
# manifest; a stage runs again when it differs (a changed option, tool or input), when its
# output was changed or removed, or when it has no marker.  The marker of the stage before
# is part of the manifest, so a stage that reran reruns every stage after it.  A rerun
# after an interruption starts at the first unfinished stage, and the stages skip
# finished work (files already fetched, features already stored, destinations already
# holding the content); a rerun after a finished run runs nothing and writes nothing.
# `refresh` drops the markers to pick up changes in SRC; `status` prints each stage's state.
# The checksums are kept in WORK/.sums: a file's while its size, times and inode stay the
# same, a marker's with the marker's content; so such a rerun reads no records and starts
# no tool but for the --version and --spec the manifests hold, each asked once.
#
# Each goal (all, a stage, status) runs in one bash: it checks SRC and DST and runs the
# stages up to the goal in order, each unless done.  The stages follow one another, so
# make -j has nothing to run side by side; .NOTPARALLEL keeps two goals given together
# (make -j report copy) one after the other.
#
# Failures.  A tool's exit 1 (some records failed) does not stop the pipeline: failures
# travel as error records (stage, code: azdedup-records(5)) and the report counts them.
# A stage is marked done only when its own work is done:
#   - error records from earlier stages never block a marker;
#   - fetch (azget), join (featstore) and copy (azcp): any error record of the stage's own
#     tool means its work is not done (a transfer, disk, permission or credential failure,
#     a blob gone, a destination holding other bytes): a rerun retries those records;
#   - features: featx's io, not_found, permission, no_memory, network, auth, config and
#     internal errors are not done; corrupt, truncated, empty, not_image, unsupported and
#     too_large describe the file itself and are final for that content;
#   - list (bad_name) and report (a record without features) failures are final.
# Such a stage leaves WORK/.done/STAGE.incomplete instead of a marker, the later stages
# still run on its output, and make ends with an error naming it; the next run redoes it.
#
# Credentials.  SRC and DST reach the tools only through the environment, as AZDEDUP_SRC
# and AZDEDUP_DST: azls and azcp read them when given no location, and the library binds
# a SAS in either to that URL's endpoint and container, so no SAS is on any command line
# and SRC's and DST's credentials never mix.  Give SRC and DST in the environment too
# (SRC='https://...?sv=...' make -f pipeline.mk) to keep a SAS off make's own command line.
# A DST inside SRC (the same folder after resolving links, or the same endpoint and
# container with DST's prefix under SRC's) is refused before anything runs.

SRC   ?= $(AZDEDUP_SRC)
DST   ?= $(AZDEDUP_DST)
WORK  ?= work
STORE ?= $(WORK)/store
HERE  := $(dir $(lastword $(MAKEFILE_LIST)))
# the tools: build/bin beside this file (the source tree), else PREFIX/bin when this file
# is the installed PREFIX/share/azdedup/pipeline.mk, else those on PATH
INSTALLED_BIN := $(patsubst %/share/azdedup/,%/bin/,$(filter %/share/azdedup/,$(abspath $(HERE))/))
BIN   ?= $(or $(if $(wildcard $(HERE)build/bin/azls),$(HERE)build/bin/),$(if $(wildcard $(INSTALLED_BIN)azls),$(INSTALLED_BIN)))
# extra options per stage, e.g. DEDUPE_OPTS='--keep size'
AZLS_OPTS     ?=
FILTER        ?=
AZGET_OPTS    ?=
FEATX_OPTS    ?=
DEDUPE_OPTS   ?=
AZCP_OPTS     ?=
Q             ?=
# DRY_RUN=1: the copy stage only plans (azcp --dry-run -> WORK/plan.ndjson)
DRY_RUN       ?=
# a reviewer's decisions file for dedupe --decisions; a change in it reruns report and copy
DECISIONS     ?=
# 1: copy the images into WORK/files (azget) and fingerprint the copies; empty: no copies
KEEP_FILES    ?=
# featx's threads when it reads a container's blobs itself (SRC a container, no
# KEEP_FILES, no -j in FEATX_OPTS): a read waits on the network, so more reads are kept
# in flight than there are cores (the images they hold stay within featx --max-memory)
FEATX_READS   ?= 16

# Everything reaches the recipes through the environment, never pasted into their text:
# a path with spaces stays one word, and a SAS is on no command line.
export AZDEDUP_SRC := $(SRC)
export AZDEDUP_DST := $(DST)
export AZD_WORK := $(WORK)
export AZD_STORE := $(STORE)
export AZD_BIN := $(BIN)
export AZD_DECISIONS := $(DECISIONS)
export AZLS_OPTS AZGET_OPTS FEATX_OPTS FEATX_READS DEDUPE_OPTS AZCP_OPTS Q FILTER DRY_RUN KEEP_FILES
# make -s: no stage lines (and no command lines, even with V=1)
export AZD_SILENT := $(findstring s,$(filter-out --%,$(firstword -$(MAKEFLAGS))))
# V=1: the commands and the tools' summaries too
V ?=
export V
# whether DST is given, as make sees it (what `all` and the checks go by)
export AZD_HAVE_DST := $(if $(DST),1)

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
STAGES := list fetch features join report copy
.PHONY: all $(STAGES) $(addprefix stage-,$(STAGES)) status refresh clean check-src check-dst

# The stage logic, in bash; each recipe evaluates it (from the environment) and calls it.
# A goal's stages all run in one bash (see upto), so what a run asks once it keeps in
# variables: the tools' versions, featx's spec, the stat keys and checksums of the files.
# The helpers set variables (printf -v) rather than print, so that no $(...) forks a
# subshell for them: a no-op rerun starts only the tools' --version and --spec and one stat.
define AZD_LIB
W=$AZD_WORK
D=$AZD_WORK/.done
# the records the features and join stages start from: azget's with KEEP_FILES, else the listing
if [ -n "$KEEP_FILES" ]; then IN=fetched.ndjson; else IN=list.ndjson; fi
say() { [ -n "$AZD_SILENT" ] || printf '%s\n' "$*"; }
note() { printf 'pipeline.mk: %s\n' "$*" >&2; }
# without V=1 the tools print no summary (the stage's line says it) and no command is shown
[ -n "$V" ] || Q=-q
tell() { [ -z "$V" ] || say "$@"; }
# run TOOL ARGS...: show (V=1) and run it; its exit 1 (some records failed) is no failure
run() {
	local t=$1 rc=0 a; shift
	[ -z "$V" ] || { printf -v a ' %q' "$@"; tell "$AZD_BIN$t$a"; }
	"$AZD_BIN$t" "$@" || rc=$?
	[ $rc -le 1 ] || note "${s:-}: $t stopped the run (exit status $rc)"; [ $rc -le 1 ]
}
# num VAR N: VAR = N with thousands separated by commas
num() {
	local _n=$2 _r=
	while [ ${#_n} -gt 3 ]; do _r=,${_n: -3}$_r; _n=${_n:0:${#_n}-3}; done
	printf -v "$1" %s "$_n$_r"
}
# failed VAR N: VAR = ", N failed" when N > 0, else empty
failed() { printf -v "$1" %s ''; [ "${2:-0}" -eq 0 ] || { num "$1" "$2"; printf -v "$1" ', %s failed' "${!1}"; }; }
# usec VAR: VAR = the time in microseconds
usec() { local _t=${EPOCHREALTIME:-}; _t=${_t//[^0-9]/}; [ -n "$_t" ] || _t=$(date +%s%6N); printf -v "$1" %s "$_t"; }
# tally FILE [ERE...]: N0 = the lines of WORK/FILE, N1, N2, N3 = those that match each ERE
# (up to 3), in one pass of awk; the EREs reach it through the environment, so awk does
# not take their backslashes as string escapes.  All empty when FILE is missing.
tally() {
	local f=$W/$1
	local -x AZD_RE1=${2-} AZD_RE2=${3-} AZD_RE3=${4-} AZD_NRE=$(($# - 1))
	N0= N1= N2= N3=
	[ -f "$f" ] || return 0
	read -r N0 N1 N2 N3 < <(awk 'BEGIN { n = ENVIRON["AZD_NRE"]; for (i = 1; i <= n; i++) re[i] = ENVIRON["AZD_RE" i] }
		{ for (i = 1; i <= n; i++) if ($0 ~ re[i]) c[i]++ }
		END { printf "%d", NR; for (i = 1; i <= n; i++) printf " %d", c[i]; print "" }' "$f")
}
# ownre TOOL: the ERE of a record that failed in TOOL
ownre() { printf -v RE '"error":[{]"stage":"%s","code":"[a-z_]+"' "$1"; }
# LINES[FILE]: the lines of WORK/FILE, when a stage of this run counted them
declare -A LINES=()
# sumfield VAR NAME: VAR = a number of the report's summary record (SUMLINE, read once)
sumfield() {
	local re="\"$2\":([0-9]+)"
	printf -v "$1" %s ''
	[[ $SUMLINE =~ $re ]] && printf -v "$1" %s "${BASH_REMATCH[1]}"
}
# what STAGE: WHAT = the words of the stage's line
what() {
	local a b c d e n
	case $1 in
	list) num a "$NL"; failed b "$OWNLIST"; WHAT="$a listed$b" ;;
	fetch) num a "$NPATH"; failed b "$OWN"; WHAT="$a in $W/files$b" ;;
	features) tally todo.ndjson '"error":'; n=$N0 e=$N1
		[ -n "${LINES[$IN]+set}" ] || { tally "$IN"; LINES[$IN]=$N0; }
		d=${LINES[$IN]}
		num a $((n - FAILED - e)); num b $((d - n)); failed c "$FAILED"
		WHAT="$a fingerprinted, $b already stored$c" ;;
	join) num a $((NL - OWN)); failed b "$OWN"; WHAT="$a joined$b" ;;
	report) SUMLINE=
		IFS= read -r SUMLINE < <(grep -m 1 '^{"type":"summary"' -- "$W/report.ndjson")
		sumfield n images; num a "$n"; sumfield n groups; num b "$n"
		sumfield n duplicates; num c "$n"; sumfield n unique; num d "$n"
		sumfield n failed; failed e "$n"
		WHAT="$a images: $b groups, $c duplicates, $d unique$e" ;;
	copy) num a "$NCOPIED"; num b "$NUNCHANGED"; failed c "$OWN"
		WHAT="$a copied, $b already there$c" ;;
	esac
}
# line STAGE START: the stage's line, from START (usec) to now (nothing to count with make -s)
line() {
	local us x
	usec us; us=$((us - $2))
	[ -z "$AZD_SILENT" ] || return 0
	what "$1"
	printf -v x '%-10s %s (%d.%d s)' "$TOOL" "$WHAT" $((us / 1000000)) $((us % 1000000 / 100000))
	say "$x"
}
# ver TOOL: VER[TOOL] = its --version, asked once a run
declare -A VER=()
ver() { [ -n "${VER[$1]+set}" ] || VER[$1]=$("$AZD_BIN$1" --version 2> /dev/null || echo "$1 missing"); }
# the features FEATX_OPTS ask for, as featx stamps them on its records: spec_get asks
# featx once a run and keeps the answer in SPEC
spec_get() {
	[ -n "${SPEC:-}" ] || SPEC=$("${AZD_BIN}featx" $FEATX_OPTS --spec) ||
		{ SPEC=; note "featx $FEATX_OPTS --spec failed"; return 2; }
}
# The checksums.  sum FILE VAR: VAR = FILE's SHA-256 ("none" when missing), remembered in
# WORK/.sums while the file's size, times and inode stay the same, so that a rerun does
# not read GBs of records again.  The stat keys (ST) come from one stat of every record
# file at the first sum of the run, and again for the output a stage has just written;
# SM holds the sums this run knows for the keys in ST.
declare -A ST=() SM=()
RECORDS="list fetched todo features report copied"
# restat PATH...: ST[PATH] = "size mtime ctime inode" of each (empty when missing)
restat() {
	local l k p
	for p; do ST[$p]= SM[$p]=; done
	while IFS= read -r -d '' l; do
		k=${l%% *}; l=${l#* }; k="$k ${l%% *}"; l=${l#* }
		k="$k ${l%% *}"; l=${l#* }; k="$k ${l%% *}"; p=${l#* }
		ST[$p]=$k
	done < <(stat --printf '%s %.9Y %.9Z %i %n\0' -- "$@" 2> /dev/null)
}
sum() {
	local _f=$1 _c _k _ck= _cs= _s r
	if [ -z "${ST[$_f]+set}" ]; then
		local a=()
		for r in $RECORDS; do [ -n "${ST[$W/$r.ndjson]+set}" ] || a+=("$W/$r.ndjson"); done
		restat "$_f" "${a[@]}"
	fi
	_k=${ST[$_f]}
	[ -n "$_k" ] || { printf -v "$2" none; return 0; }
	[ -z "${SM[$_f]}" ] || { printf -v "$2" %s "${SM[$_f]}"; return 0; }
	_c=$W/.sums/${_f##*/}
	[ ! -f "$_c" ] || { IFS= read -r _ck && IFS= read -r _cs; } < "$_c"
	if [ "$_ck" != "$_k" ] || [[ ! $_cs =~ ^[0-9a-f]{64}$ ]]; then
		_cs=$(sha256sum < "$_f") || { printf -v "$2" %s ''; return 2; }
		_cs=${_cs%% *}
		# written in place: a torn entry holds no whole sum, or the wrong key, and is a miss
		{ [ -d "$W/.sums" ] || mkdir -p -- "$W/.sums"; } && printf '%s\n%s\n' "$_k" "$_cs" > "$_c"
	fi
	SM[$_f]=$_cs
	printf -v "$2" %s "$_cs"
}
# add LINE: a line of the manifest WANT
add() { WANT+=${WANT:+$'\n'}$1; }
input() { local h; sum "$W/$1" h; add "input $1 $h"; }
# the decisions file's SHA-256, when DECISIONS is set
decisions() {
	local h
	[ -n "$AZD_DECISIONS" ] || return 0
	h=$(sha256sum < "$AZD_DECISIONS" 2> /dev/null) || h=missing
	add "decisions ${h%% *}"
}
# after STAGE: the SHA-256 of the stage's marker (or of its .incomplete), remembered in
# WORK/.sums/marker.STAGE with the marker's content: the same content, the same sum
after() {
	local m=$D/$1 c= h= cc= cf=$W/.sums/marker.$1
	[ -f "$m" ] || m=$D/$1.incomplete
	[ -f "$m" ] || { add "after $1 none"; return 0; }
	IFS= read -r -d '' c < "$m"
	[ ! -f "$cf" ] || { IFS= read -r h; IFS= read -r -d '' cc; } < "$cf"
	if [ "$cc" != "$c" ] || [[ ! $h =~ ^[0-9a-f]{64}$ ]]; then
		# the sum of the content read (a marker ends with a newline, which <<< adds back)
		if [ "${c%$'\n'}" != "$c" ]; then h=$(sha256sum <<< "${c%$'\n'}"); else h=$(sha256sum < "$m"); fi
		h=${h%% *}
		{ [ -d "$W/.sums" ] || mkdir -p -- "$W/.sums"; } && printf '%s\n%s' "$h" "$c" > "$cf"
	fi
	add "after $1 $h"
}
# want STAGE: WANT = the manifest the stage's marker must hold for it to count as done
want() {
	WANT=
	case $1 in
	list) ver azls; add "tool ${VER[azls]}"; add "opts AZLS_OPTS=$AZLS_OPTS"; add "opts FILTER=$FILTER"
		add "src ${AZDEDUP_SRC%%\?*}" ;;
	fetch) add "keep KEEP_FILES=$KEEP_FILES"
		[ -z "$KEEP_FILES" ] || { ver azget; add "tool ${VER[azget]}"; add "opts AZGET_OPTS=$AZGET_OPTS"; }
		after list; input list.ndjson ;;
	features) spec_get || return 2
		ver featx; ver featstore
		add "tool ${VER[featx]}"; add "tool ${VER[featstore]}"
		add "opts FEATX_OPTS=$FEATX_OPTS"; add "spec $SPEC"; add "store $AZD_STORE"
		after fetch; input $IN ;;
	join) spec_get || return 2
		ver featstore; add "tool ${VER[featstore]}"; add "spec $SPEC"; add "store $AZD_STORE"
		after features; input $IN ;;
	report) ver dedupe; add "tool ${VER[dedupe]}"; add "opts DEDUPE_OPTS=$DEDUPE_OPTS"; decisions
		after join; input features.ndjson ;;
	copy) ver azcp; add "tool ${VER[azcp]}"; add "opts AZCP_OPTS=$AZCP_OPTS"
		add "dst ${AZDEDUP_DST%%\?*}"; after report; input report.ndjson ;;
	esac
}
# held MARKER VAR: VAR = the marker's lines but its output lines (the manifest it holds)
held() {
	local _l _x=
	while IFS= read -r _l || [ -n "$_l" ]; do
		[[ $_l == "output "* ]] || _x+=$_l$'\n'
	done < "$1"
	while [ "${_x%$'\n'}" != "$_x" ]; do _x=${_x%$'\n'}; done
	printf -v "$2" %s "$_x"
}
# exists: a blob that changed since it was listed (a rerun after `refresh` lists it again)
FEATX_RETRY='io|not_found|permission|no_memory|network|auth|config|internal|exists'
run_list() { TOOL=azls OUT=list.ndjson OWN=0
	local F=() f
	if [ -n "$FILTER" ]; then
		f=$(printf '%s' "$FILTER" | xargs -r printf '%s\n') && mapfile -t F <<< "$f" ||
			{ note "FILTER: cannot split it into words (an unmatched quote?)"; return 2; }
	fi
	run azls $Q $AZLS_OPTS "${F[@]}" -o "$W/list.ndjson" || return
	ownre azls; tally list.ndjson "$RE"; NL=$N0 OWNLIST=$N1 LINES[list.ndjson]=$N0; }
run_fetch() { TOOL=azget OUT=fetched.ndjson
	if [ -z "$KEEP_FILES" ]; then
		OUT=list.ndjson OWN=0
		tell "fetch: nothing to copy, featx reads the images from SRC (KEEP_FILES=1 copies them)"
		[ ! -d "$W/files" ] || note "$W/files holds copies from a KEEP_FILES=1 run; this run does not use them (remove them to free the disk)"
		return 0
	fi
	run azget $Q $AZGET_OPTS -d "$W/files" -i "$W/list.ndjson" -o "$W/fetched.ndjson" || return
	ownre azget; tally fetched.ndjson '"path":' "$RE"; NPATH=$N1 OWN=$N2 LINES[fetched.ndjson]=$N0; }
run_features() { TOOL=featx OUT=todo.ndjson
	local a b j=
	# featx reading a container (not a folder, not azget's copies): FEATX_READS threads
	# unless FEATX_OPTS says how many (not in the stage's inputs: the records are the same)
	case $AZDEDUP_SRC in
	file://*) ;;
	*://*) [ -n "$KEEP_FILES" ] || j="-j $FEATX_READS" ;;
	esac
	case " $FEATX_OPTS " in *" -j"*|*" --threads"*) j= ;; esac
	run featstore has $Q --spec "$SPEC" "$AZD_STORE" -i "$W/$IN" \
		-o "$W/todo.ndjson" || return
	[ -z "$V" ] || { printf -v a ' %q' $Q $j $FEATX_OPTS -i "$W/todo.ndjson"; printf -v b ' %q' put $Q "$AZD_STORE"
		tell "${AZD_BIN}featx$a |" "${AZD_BIN}featstore$b"; }
	# featx's records stream into the store as they come; tee gives a copy of the stream
	# (on fd 4) to grep, which keeps the codes of featx's failures (those a rerun must
	# retry count).  grep is a member of the pipeline, not a process substitution: bash
	# (5.2) can return from `wait $!` on one before it ends once PIDs wrap around, and
	# the codes would then be counted before grep had written them all.
	# The statuses of featx and featstore put (PIPESTATUS, in the subshell that ran
	# them; over 2 counts as 2, and a failed tee fails featstore put) come out as
	# 10 * featx + featstore put, and grep's failure as 9: the worse of the two tools
	# decides, not the last (featx stopped by a full memory leaves a torn last record,
	# and featstore put's 1 for it must not hide featx's 2).
	local rc
	{ { "${AZD_BIN}featx" $Q $j $FEATX_OPTS -i "$W/todo.ndjson" | tee /dev/fd/4 |
		"${AZD_BIN}featstore" put $Q "$AZD_STORE" 4>&- >&3
		set -- "${PIPESTATUS[@]}"
		[ "$2" -eq 0 ] || set -- "$1" 0 2
		exit $((10 * ($1 > 2 ? 2 : $1) + ($3 > 2 ? 2 : $3))); } 4>&1 |
		{ grep -o -E -- '"error":\{"stage":"featx","code":"[a-z_]+"' > "$D/.featx-codes"
			[ $? -le 1 ] || exit 9; }
	} 3>&1
	rc=$?
	[ $rc -ne 9 ] || { note "$s: cannot write $D/.featx-codes"; return 2; }
	[ $rc -lt 20 ] || { note "$s: featx stopped the run"; return 2; }
	[ $((rc % 10)) -lt 2 ] || { note "$s: featstore put stopped the run"; return 2; }
	tally .done/.featx-codes "\"($FEATX_RETRY)\"\$"; FAILED=$N0 OWN=$N1
	rm -f -- "$D/.featx-codes"
	# featstore put failed on some of featx's records (a torn or damaged one): those are
	# not stored, and a rerun must make them again
	[ $((rc % 10)) -ne 1 ] || WHY="featstore put failed on records of featx (see its messages)"; }
run_join() { TOOL=featstore OUT=features.ndjson
	run featstore get $Q --spec "$SPEC" "$AZD_STORE" -i "$W/$IN" \
		-o "$W/features.ndjson" || return
	ownre featstore; tally features.ndjson "$RE"; NL=$N0 OWN=$N1; }
run_report() { TOOL=dedupe OUT=report.ndjson OWN=0
	local X=()
	[ -z "$AZD_DECISIONS" ] || X=(--decisions "$AZD_DECISIONS")
	run dedupe $Q $DEDUPE_OPTS "${X[@]}" -i "$W/features.ndjson" -o "$W/report.ndjson"; }
run_copy() { TOOL=azcp OUT=copied.ndjson
	run azcp $Q $AZCP_OPTS -i "$W/report.ndjson" -o "$W/copied.ndjson" || return
	ownre azcp; tally copied.ndjson '"copy":"(copied|linked)"' '"copy":"unchanged"' "$RE"
	NCOPIED=$N1 NUNCHANGED=$N2 OWN=$N3; }
# outputs_ok MARKER: every output it names still has the checksum it had
outputs_ok() {
	local k f h x
	while read -r k f h; do
		[ "$k" != output ] || { sum "$W/$f" x; [ "$x" = "$h" ]; } || return 1
	done < "$1"
}
# stage STAGE: run it unless its marker holds what it depends on now
stage() {
	local s=$1 t=$D/.$1.tmp h a b
	# .sums too: the first sum of the run needs it
	[ -d "$D" ] || mkdir -p -- "$D" "$W/.sums" || return 2
	# a dry run of the copy plans it and leaves the marker as it was
	if [ "$s" = copy ] && [ -n "$DRY_RUN" ] && [ "$DRY_RUN" != 0 ]; then
		run azcp $Q --dry-run $AZCP_OPTS -i "$W/report.ndjson" -o "$W/plan.ndjson" || return 2
		[ -n "$AZD_SILENT" ] && return 0
		tally plan.ndjson '"plan":"(copy|link)"' '"plan":"unchanged"'; num a "$N1"; num b "$N2"
		printf -v h %-10s azcp
		say "$h dry run: $a to copy," \
			"$b already there; the plan is in $W/plan.ndjson, nothing copied"
		return 0
	fi
	want "$s" || return 2
	if [ -f "$D/$s" ] && held "$D/$s" h && [ "$h" = "$WANT" ] && outputs_ok "$D/$s"; then
		return 0
	fi
	[ ! -e "$D/$s" ] && [ ! -e "$D/$s.incomplete" ] || rm -f -- "$D/$s" "$D/$s.incomplete"
	local t0
	usec t0
	WHY=
	"run_$s" || return 2
	if [ "$s" != fetch ] || [ -n "$KEEP_FILES" ]; then
		line "$s" "$t0"
		restat "$W/$OUT"    # the tool has just written it
	fi
	sum "$W/$OUT" h
	{ printf '%s\n' "$WANT"; echo "output $OUT $h"; } > "$t" || return 2
	if [ -n "$WHY" ]; then
		echo "incomplete $WHY" >> "$t" && mv -f -- "$t" "$D/$s.incomplete"
		note "$s: $WHY: not marked done, a rerun retries them"
	elif [ "$OWN" -gt 0 ]; then
		echo "incomplete $OWN records failed in $TOOL" >> "$t" && mv -f -- "$t" "$D/$s.incomplete"
		note "$s: $OWN records failed in $TOOL (see $OUT): not marked done, a rerun retries them"
	else
		mv -f -- "$t" "$D/$s"
	fi
}
# upto STAGE: check SRC and DST, then run every stage up to STAGE in order, each unless
# done; the first that fails stops the rest (as make stops at a failed prerequisite)
upto() {
	local s
	check_src || return 2
	[ -z "$AZD_HAVE_DST" ] || check_dst || return 2
	for s in $STAGES; do
		# copy without DST: the stages before it run, then the check stops the run
		[ "$s" != copy ] || [ -n "$AZD_HAVE_DST" ] || check_dst || return 2
		stage "$s" || return 2
		[ "$s" != "$1" ] || break
	done
}
# finished STAGE: fails when it or a stage before it is incomplete
finished() {
	local s bad=
	for s in $STAGES; do
		[ -f "$D/$s.incomplete" ] && bad="$bad $s"
		[ "$s" = "$1" ] && break
	done
	[ -z "$bad" ] || { note "not done:$bad (run the same command again to retry)"; return 1; }
}
# status: each stage done, stale (why), incomplete or to do
status() {
	local s w m k v h why before=
	for s in $STAGES; do
		m=$D/$s
		if [ -n "$before" ]; then
			if [ -f "$m" ] || [ -f "$m.incomplete" ]; then why="stale ($before is not done)"
			else why="to do"; fi
		elif [ -f "$m.incomplete" ]; then
			why="incomplete ($(sed -n 's/^incomplete //p' -- "$m.incomplete"); a rerun retries them)"
		elif [ ! -f "$m" ]; then
			why="to do"
		else
			want "$s" || return 2
			w=$WANT
			why=done
			held "$m" h
			if [ "$h" != "$w" ]; then
				while read -r k v; do
					grep -qxF -- "$k $v" "$m" && continue
					case $k in
					tool) why="stale (${v%% *} version changed)" ;;
					keep) why="stale (KEEP_FILES changed)" ;;
					opts) why="stale (${v%%=*} changed)" ;;
					spec) why="stale (features asked for changed: $v)" ;;
					src) why="stale (SRC changed)" ;;
					dst) why="stale (DST changed)" ;;
					store) why="stale (STORE changed)" ;;
					after) why="stale (${v%% *} was redone)" ;;
					input) why="stale (${v%% *} changed)" ;;
					decisions) why="stale (DECISIONS changed)" ;;
					esac
					break
				done <<< "$w"
				# decisions dropped: the marker has a line the manifest has not
				[ "$why" != done ] || ! grep -q '^decisions ' -- "$m" || why="stale (DECISIONS changed)"
			elif ! outputs_ok "$m"; then
				why="stale (its output was changed or removed)"
			fi
		fi
		[ "$why" = done ] || before=${before:-$s}
		printf '%-9s %s\n' "$s" "$why"
	done
}
check_src() {
	[ -n "$AZDEDUP_SRC" ] || { note "SRC is not set (make -f pipeline.mk SRC=... DST=...)"; return 2; }
}
check_dst() {
	[ -n "$AZDEDUP_DST" ] || { note "DST is not set"; return 2; }
	[ -z "$AZDEDUP_SRC" ] || dst_outside_src
}
# canon VAR URL: VAR = URL without its query; a folder or file:// URL as realpath -m
# resolves it (the caller's one realpath for both), a URL with scheme and host in lower
# case and no trailing slash
canon_url() {
	local u=$2 h p= x re='^([^/]*//[^/]*)(.*)$'
	h=${u#*://}
	case $h in */*) p=/${h#*/}; h=${h%%/*} ;; esac
	x="${u%%://*}://$h$p"
	while [ "${x%/}" != "$x" ]; do x=${x%/}; done
	[[ $x =~ $re ]] && x=${BASH_REMATCH[1],,}${BASH_REMATCH[2]}
	printf -v "$1" %s "$x"
}
dst_outside_src() {
	local u s d L=() R=() i=0
	for u in "${AZDEDUP_SRC%%\?*}" "${AZDEDUP_DST%%\?*}"; do
		case $u in file://*) L+=("${u#file://}") ;; *://*) ;; *) L+=("$u") ;; esac
	done
	# no `wait $!` on the process substitution (bash 5.2's can fail at random once PIDs
	# wrap around): mapfile reads to its end, and a realpath that fails adds a last line
	# "!", which no path of realpath's (all absolute) can be
	if [ ${#L[@]} -gt 0 ]; then
		mapfile -d '' -t R < <(realpath -z -m -- "${L[@]}" || printf '!\0')
		[ ${#R[@]} -eq ${#L[@]} ] && [ "${R[-1]}" != '!' ] ||
			{ note "SRC or DST: realpath cannot resolve ${L[*]}"; return 2; }
	fi
	u=${AZDEDUP_SRC%%\?*}
	case $u in file://*) s=${R[i++]} ;; *://*) canon_url s "$u" ;; *) s=${R[i++]} ;; esac
	u=${AZDEDUP_DST%%\?*}
	case $u in file://*) d=${R[i++]} ;; *://*) canon_url d "$u" ;; *) d=${R[i++]} ;; esac
	case $d/ in
	"$s"/*|"${s%/}"/*)
		note "DST ($d) is inside SRC ($s): the next run would read its own copies back"
		return 2 ;;
	esac
}
endef
export AZD_LIB := $(value AZD_LIB)
export STAGES

# One bash for a whole goal (see the header): X runs the stages up to X and fails when
# one of them is incomplete; stage-X runs them without that last check.
.NOTPARALLEL:
all: $(if $(DST),copy,report)

$(STAGES):
	@eval "$$AZD_LIB" && upto $@ && finished $@
$(addprefix stage-,$(STAGES)): stage-%:
	@eval "$$AZD_LIB" && upto $*

check-src:
	@eval "$$AZD_LIB" && check_src
check-dst:
	@eval "$$AZD_LIB" && check_dst

status:
	@eval "$$AZD_LIB" && status

refresh:
	@rm -rf -- "$$AZD_WORK/.done"

clean:
	rm -rf -- "$$AZD_WORK"
