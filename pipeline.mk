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

# Everything reaches the recipes through the environment, never pasted into their text:
# a path with spaces stays one word, and a SAS is on no command line.
export AZDEDUP_SRC := $(SRC)
export AZDEDUP_DST := $(DST)
export AZD_WORK := $(WORK)
export AZD_STORE := $(STORE)
export AZD_BIN := $(BIN)
export AZD_DECISIONS := $(DECISIONS)
export AZLS_OPTS AZGET_OPTS FEATX_OPTS DEDUPE_OPTS AZCP_OPTS Q FILTER DRY_RUN KEEP_FILES
# make -s: no stage lines (and no command lines, even with V=1)
export AZD_SILENT := $(findstring s,$(filter-out --%,$(firstword -$(MAKEFLAGS))))
# V=1: the commands and the tools' summaries too
V ?=
export V

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
STAGES := list fetch features join report copy
.PHONY: all $(STAGES) $(addprefix stage-,$(STAGES)) status refresh clean check-src check-dst

# The stage logic, in bash; each recipe evaluates it (from the environment) and calls it.
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
run() { local t=$1 rc=0; shift; tell "$AZD_BIN$t$(printf ' %q' "$@")"; "$AZD_BIN$t" "$@" || rc=$?
	[ $rc -le 1 ] || note "${s:-}: $t stopped the run (exit status $rc)"; [ $rc -le 1 ]; }
# num N: N with thousands separated by commas
num() { local n=$1 r=; while [ ${#n} -gt 3 ]; do r=,${n: -3}$r; n=${n:0:${#n}-3}; done; echo "$n$r"; }
# usec: the time in microseconds
usec() { local t=${EPOCHREALTIME:-}; t=${t//[^0-9]/}; [ -n "$t" ] || t=$(date +%s%6N); echo "$t"; }
# lines FILE [PATTERN]: how many lines of WORK/FILE (that match PATTERN)
lines() { grep -c -E -- "${2:-^}" "$W/$1" 2> /dev/null || true; }
# sumfield NAME: a number of the report's summary record (its line read once per shell,
# the number taken with bash's own matching: no processes per field)
sumfield() {
	local re="\"$1\":([0-9]+)"
	[ -n "${SUMLINE+set}" ] || SUMLINE=$(grep -m 1 '^{"type":"summary"' -- "$W/report.ndjson")
	[[ $SUMLINE =~ $re ]] && echo "${BASH_REMATCH[1]}"
}
# failed N: ", N failed" when N > 0
failed() { [ "${1:-0}" -eq 0 ] || printf ', %s failed' "$(num "$1")"; }
# what STAGE: the words of the stage's line
what() {
	local n
	case $1 in
	list) echo "$(num "$(lines list.ndjson)") listed$(failed "$(own list.ndjson azls)")" ;;
	fetch) n=$(lines fetched.ndjson '"path":')
		echo "$(num "$n") in $W/files$(failed "$(own fetched.ndjson azget)")" ;;
	features) n=$(lines todo.ndjson)
		echo "$(num $((n - FAILED - $(lines todo.ndjson '"error":'))) ) fingerprinted," \
			"$(num $(($(lines $IN) - n))) already stored$(failed "$FAILED")" ;;
	join) echo "$(num $(($(lines features.ndjson) - OWN))) joined$(failed "$OWN")" ;;
	report) SUMLINE=$(grep -m 1 '^{"type":"summary"' -- "$W/report.ndjson")
		echo "$(num "$(sumfield images)") images: $(num "$(sumfield groups)") groups," \
		"$(num "$(sumfield duplicates)") duplicates, $(num "$(sumfield unique)") unique$(failed "$(sumfield failed)")" ;;
	copy) echo "$(num "$(lines copied.ndjson '"copy":"(copied|linked)"')") copied," \
		"$(num "$(lines copied.ndjson '"copy":"unchanged"')") already there$(failed "$OWN")" ;;
	esac
}
# line STAGE START: the stage's line, from START (usec) to now
line() {
	local us=$(($(usec) - $2))
	say "$(printf '%-10s %s (%d.%d s)' "$TOOL" "$(what "$1")" $((us / 1000000)) $((us % 1000000 / 100000)))"
}
ver() { "$AZD_BIN$1" --version 2> /dev/null || echo "$1 missing"; }
# the features FEATX_OPTS ask for, as featx stamps them on its records: spec_get asks
# featx once and keeps the answer in SPEC (call it outside $(...), where the answer would
# be lost with the subshell); spec prints it
spec_get() {
	[ -n "${SPEC:-}" ] || SPEC=$("${AZD_BIN}featx" $FEATX_OPTS --spec) ||
		{ SPEC=; note "featx $FEATX_OPTS --spec failed"; return 2; }
}
spec() { spec_get || return 2; echo "$SPEC"; }
# sum FILE: its SHA-256 ("none" when missing), remembered in WORK/.sums while the file's
# size, times and inode stay the same, so that a rerun does not read GBs of records again
sum() {
	local f=$1 c k s
	local ck cs
	c=$W/.sums/${f##*/}
	k=$(stat -c '%s %.9Y %.9Z %i' -- "$f" 2> /dev/null) || { echo none; return 0; }
	if [ -f "$c" ] && { IFS= read -r ck && IFS= read -r cs; } < "$c" && [ "$ck" = "$k" ]; then
		echo "$cs"; return 0
	fi
	s=$(sha256sum < "$f") || return 2
	s=${s%% *}
	{ [ -d "$W/.sums" ] || mkdir -p -- "$W/.sums"; } &&
	printf '%s\n%s\n' "$k" "$s" > "$c.tmp" && mv -f -- "$c.tmp" "$c"
	echo "$s"
}
input() { echo "input $1 $(sum "$W/$1")"; }
# the decisions file's SHA-256, when DECISIONS is set
decisions() {
	local h
	[ -n "$AZD_DECISIONS" ] || return 0
	h=$(sha256sum < "$AZD_DECISIONS" 2> /dev/null) || h=missing
	echo "decisions ${h%% *}"
}
after() {
	local m=$D/$1 h
	[ -f "$m" ] || m=$D/$1.incomplete
	if [ -f "$m" ]; then h=$(sha256sum < "$m"); echo "after $1 ${h%% *}"; else echo "after $1 none"; fi
}
# want STAGE: the manifest the stage's marker must hold for it to count as done
want() {
	case $1 in
	list) echo "tool $(ver azls)"; echo "opts AZLS_OPTS=$AZLS_OPTS"; echo "opts FILTER=$FILTER"
		echo "src ${AZDEDUP_SRC%%\?*}" ;;
	fetch) echo "keep KEEP_FILES=$KEEP_FILES"
		[ -z "$KEEP_FILES" ] || { echo "tool $(ver azget)"; echo "opts AZGET_OPTS=$AZGET_OPTS"; }
		after list; input list.ndjson ;;
	features) sp=$(spec) || return 2
		echo "tool $(ver featx)"; echo "tool $(ver featstore)"
		echo "opts FEATX_OPTS=$FEATX_OPTS"; echo "spec $sp"; echo "store $AZD_STORE"
		after fetch; input $IN ;;
	join) sp=$(spec) || return 2
		echo "tool $(ver featstore)"; echo "spec $sp"; echo "store $AZD_STORE"
		after features; input $IN ;;
	report) echo "tool $(ver dedupe)"; echo "opts DEDUPE_OPTS=$DEDUPE_OPTS"; decisions
		after join; input features.ndjson ;;
	copy) echo "tool $(ver azcp)"; echo "opts AZCP_OPTS=$AZCP_OPTS"
		echo "dst ${AZDEDUP_DST%%\?*}"; after report; input report.ndjson ;;
	esac
}
# own FILE TOOL [CODES]: how many records of FILE failed in TOOL (with one of CODES)
own() {
	grep -c -E -- "\"error\":\\{\"stage\":\"$2\",\"code\":\"(${3:-[a-z_]+})\"" "$W/$1" || true
}
# exists: a blob that changed since it was listed (a rerun after `refresh` lists it again)
FEATX_RETRY='io|not_found|permission|no_memory|network|auth|config|internal|exists'
run_list() { TOOL=azls OUT=list.ndjson OWN=0
	local F=() f
	if [ -n "$FILTER" ]; then
		f=$(printf '%s' "$FILTER" | xargs -r printf '%s\n') && mapfile -t F <<< "$f" ||
			{ note "FILTER: cannot split it into words (an unmatched quote?)"; return 2; }
	fi
	run azls $Q $AZLS_OPTS "${F[@]}" -o "$W/list.ndjson"; }
run_fetch() { TOOL=azget OUT=fetched.ndjson
	if [ -z "$KEEP_FILES" ]; then
		OUT=list.ndjson OWN=0
		tell "fetch: nothing to copy, featx reads the images from SRC (KEEP_FILES=1 copies them)"
		[ ! -d "$W/files" ] || note "$W/files holds copies from a KEEP_FILES=1 run; this run does not use them (remove them to free the disk)"
		return 0
	fi
	run azget $Q $AZGET_OPTS -d "$W/files" -i "$W/list.ndjson" -o "$W/fetched.ndjson" &&
	OWN=$(own fetched.ndjson azget); }
run_features() { TOOL=featx OUT=todo.ndjson
	run featstore has $Q --spec "$(spec)" "$AZD_STORE" -i "$W/$IN" \
		-o "$W/todo.ndjson" || return
	tell "${AZD_BIN}featx$(printf ' %q' $Q $FEATX_OPTS -i "$W/todo.ndjson") |" \
		"${AZD_BIN}featstore$(printf ' %q' put $Q "$AZD_STORE")"
	# featx's records stream into the store as they come; a copy of the stream goes to
	# grep, which keeps the codes of featx's failures (those a rerun must retry count)
	"${AZD_BIN}featx" $Q $FEATX_OPTS -i "$W/todo.ndjson" |
		{ tee >(grep -o -E -- '"error":\{"stage":"featx","code":"[a-z_]+"' \
			> "$D/.featx-codes"; exit 0); wait $!; } |
		"${AZD_BIN}featstore" put $Q "$AZD_STORE" ||
		{ local rc=$?; [ $rc -eq 1 ] || { note "$s: featx or featstore put stopped the run (exit status $rc)"; return $rc; }; }
	OWN=$(grep -c -E -- "\"($FEATX_RETRY)\"\$" "$D/.featx-codes") || true
	FAILED=$(grep -c '' "$D/.featx-codes") || true
	rm -f -- "$D/.featx-codes"; }
run_join() { TOOL=featstore OUT=features.ndjson
	run featstore get $Q --spec "$(spec)" "$AZD_STORE" -i "$W/$IN" \
		-o "$W/features.ndjson" && OWN=$(own features.ndjson featstore); }
run_report() { TOOL=dedupe OUT=report.ndjson OWN=0
	local X=()
	[ -z "$AZD_DECISIONS" ] || X=(--decisions "$AZD_DECISIONS")
	run dedupe $Q $DEDUPE_OPTS "${X[@]}" -i "$W/features.ndjson" -o "$W/report.ndjson"; }
run_copy() { TOOL=azcp OUT=copied.ndjson
	run azcp $Q $AZCP_OPTS -i "$W/report.ndjson" -o "$W/copied.ndjson" &&
	OWN=$(own copied.ndjson azcp); }
# outputs_ok MARKER: every output it names still has the checksum it had
outputs_ok() {
	local k f h
	while read -r k f h; do
		[ "$k" != output ] || [ "$(sum "$W/$f")" = "$h" ] || return 1
	done < "$1"
}
# stage STAGE: run it unless its marker holds what it depends on now
stage() {
	local s=$1 w t=$D/.$1.tmp
	[ -d "$D" ] || mkdir -p -- "$D" || return 2
	# a dry run of the copy plans it and leaves the marker as it was
	if [ "$s" = copy ] && [ -n "$DRY_RUN" ] && [ "$DRY_RUN" != 0 ]; then
		run azcp $Q --dry-run $AZCP_OPTS -i "$W/report.ndjson" -o "$W/plan.ndjson" || return 2
		say "$(printf '%-10s' azcp) dry run: $(num "$(lines plan.ndjson '"plan":"(copy|link)"')") to copy," \
			"$(num "$(lines plan.ndjson '"plan":"unchanged"')") already there; the plan is in $W/plan.ndjson, nothing copied"
		return 0
	fi
	# the spec asked of featx once here, not in each subshell that prints it
	case $s in features|join) spec_get || return 2 ;; esac
	w=$(want "$s") || return 2
	if [ -f "$D/$s" ] && [ "$(grep -v '^output ' -- "$D/$s")" = "$w" ] && outputs_ok "$D/$s"; then
		return 0
	fi
	[ ! -e "$D/$s" ] && [ ! -e "$D/$s.incomplete" ] || rm -f -- "$D/$s" "$D/$s.incomplete"
	local t0
	t0=$(usec)
	"run_$s" || return 2
	[ "$s" = fetch ] && [ -z "$KEEP_FILES" ] || line "$s" "$t0"
	{ printf '%s\n' "$w"; echo "output $OUT $(sum "$W/$OUT")"; } > "$t" || return 2
	if [ "$OWN" -gt 0 ]; then
		echo "incomplete $OWN records failed in $TOOL" >> "$t" && mv -f -- "$t" "$D/$s.incomplete"
		note "$s: $OWN records failed in $TOOL (see $OUT): not marked done, a rerun retries them"
	else
		mv -f -- "$t" "$D/$s"
	fi
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
	local s w m k v why before=
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
			w=$(want "$s") || return 2
			why=done
			if [ "$(grep -v '^output ' -- "$m")" != "$w" ]; then
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
where() {
	local u=${1%%\?*} h p=
	case $u in
	file://*) realpath -m -- "${u#file://}" ;;
	*://*) h=${u#*://}
		case $h in */*) p=/${h#*/}; h=${h%%/*} ;; esac
		printf '%s://%s%s\n' "${u%%://*}" "$h" "$p" | sed 's,/*$,,; s,^[^/]*//[^/]*,\L&,' ;;
	*) realpath -m -- "$u" ;;
	esac
}
dst_outside_src() {
	local s d
	s=$(where "$AZDEDUP_SRC") && d=$(where "$AZDEDUP_DST") || return 2
	case $d/ in
	"$s"/*|"${s%/}"/*)
		note "DST ($d) is inside SRC ($s): the next run would read its own copies back"
		return 2 ;;
	esac
}
endef
export AZD_LIB := $(value AZD_LIB)
export STAGES

all: $(if $(DST),copy,report)

# stage-X runs stage X when needed; X also fails when a stage up to X is incomplete
stage-list: check-src $(if $(DST),check-dst)
stage-fetch: stage-list
stage-features: stage-fetch
stage-join: stage-features
stage-report: stage-join
stage-copy: stage-report check-dst
$(addprefix stage-,$(STAGES)): stage-%:
	@eval "$$AZD_LIB" && stage $*
$(STAGES): %: stage-%
	@eval "$$AZD_LIB" && finished $@

check-src:
	@[ -n "$$AZDEDUP_SRC" ] || { echo "pipeline.mk: SRC is not set (make -f pipeline.mk SRC=... DST=...)" >&2; exit 2; }
check-dst:
	@[ -n "$$AZDEDUP_DST" ] || { echo "pipeline.mk: DST is not set" >&2; exit 2; }
	@[ -z "$$AZDEDUP_SRC" ] || { eval "$$AZD_LIB" && dst_outside_src; }

status:
	@eval "$$AZD_LIB" && status

refresh:
	@rm -rf -- "$$AZD_WORK/.done"

clean:
	rm -rf -- "$$AZD_WORK"
