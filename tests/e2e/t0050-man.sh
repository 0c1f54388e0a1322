#!/bin/sh
# The manual pages: they format without warnings, each names itself, every option a
# tool's --help prints is documented, and the record page covers every field.
. "$(dirname "$0")/lib.sh"

M="$TOP/man"
for page in "$M"/*.[157]; do
	p=$(basename "$page")
	groff -mandoc -ww -z "$page" > "$T/lint" 2>&1
	check_eq "$p formats without warnings" "$(cat "$T/lint")" ""
	sect=${p##*.}
	name=$(echo "${p%.*}" | tr a-z A-Z)
	check "$p: .Dt $name $sect" grep -qx ".Dt $name $sect" "$page"
done

for t in azls azget featx featstore dedupe azcp; do
	check "man/$t.1 exists" test -f "$M/$t.1"
	[ -f "$M/$t.1" ] || continue
	"$BIN/$t" --help > "$T/help"
	missing=
	for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
		grep -q "^\.\(It\|Op\).*Fl -${o#--}\b" "$M/$t.1" || missing="$missing $o"
	done
	check_eq "$t: every option of --help is in the page" "$missing" ""
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx ".Sh $s" "$M/$t.1" || missing="$missing [$s]"
	done
	check_eq "$t: the usual sections" "$missing" ""
done

missing=
for f in name size mtime etag content_md5 src path format width height sha256 phash \
	dhash whash dup copy error raw type; do
	grep -q "Li $f\b" "$M/azdedup-records.5" || missing="$missing $f"
done
check_eq "every record field is described" "$missing" ""
# and every error code the library can produce
for c in io not_found corrupt unsupported too_large truncated empty not_image bad_record; do
	grep -q "Li $c\b" "$M/azdedup-records.5" || missing="$missing $c"
done
check_eq "every error code is listed" "$missing" ""

# SEE ALSO points only at pages that exist
bad=
for x in $(grep -h '^\.Xr az\|^\.Xr dedupe\|^\.Xr feat' "$M"/*.[157] | awk '{print $2 "." $3}' | sort -u); do
	test -f "$M/$x" || bad="$bad $x"
done
check_eq "cross references resolve" "$bad" ""
finish
