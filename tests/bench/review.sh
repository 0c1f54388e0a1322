#!/bin/sh
# review.sh — the review page (dedupe --html) at scale: synthetic feature records
# (tests/bench/reviewrecs.py: random hashes, a third of the records copies of the one
# before) of 10k, 100k and 1M images; for each, dedupe without and with --html (the
# difference is the writing of the page and its folder), the page's and the folder's
# size on disk and file count, and in headless Chromium the time to the first groups in
# the document, to the index (sorting and filters ready) and for a click on "next", as
# the page measured them (performance.now() from the start of the navigation; see
# tests/browser/firstrender.js).  Prints a table.  Not a test: nothing passes or fails.
#
#   BENCH_REVIEW="N..."   sizes (default "10000 100000 1000000")
. "$(dirname "$0")/lib.sh"
bench_tmp review
SIZES=${BENCH_REVIEW:-10000 100000 1000000}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
NODE=$(command -v node || command -v nodejs || true)

now() { date +%s.%N; }
echo "review page (dedupe --html) on synthetic records:"
printf "%-8s %7s %9s %9s %8s %8s %9s %7s %9s %9s %8s\n" "images" "groups" "dedupe s" "+html s" \
	"page s" "page KB" "folder MB" "files" "first ms" "index ms" "next ms"
for n in $SIZES; do
	/usr/bin/python3 tests/bench/reviewrecs.py "$n" > "$T/recs"
	t0=$(now); "$BIN/dedupe" -q -i "$T/recs" -o "$T/report"; t1=$(now)
	"$BIN/dedupe" -q -i "$T/recs" -o /dev/null --html "$T/page.html"; t2=$(now)
	groups=$(jq -r 'select(.type == "summary") | .groups' "$T/report")
	kb=$(( $(wc -c < "$T/page.html") / 1024 ))
	mb=$(du -sm "$T/page_files" | cut -f1)
	files=$(find "$T/page_files" -type f | wc -l)
	if [ -n "$CHROMIUM" ] && [ -n "$NODE" ]; then
		rm -rf "$T/browser"
		times=$("$NODE" tests/browser/firstrender.js "$CHROMIUM" "$T/page.html" "$T/browser" 2> "$T/fr.err") ||
			times="failed failed failed"
	else
		times="(no chromium or node)"
	fi
	# shellcheck disable=SC2086
	awk -v n="$n" -v g="$groups" -v a="$t0" -v b="$t1" -v c="$t2" -v kb="$kb" -v mb="$mb" \
		-v f="$files" -v t="$times" 'BEGIN { split(t, x, " ");
		printf "%-8d %7d %9.1f %9.1f %8.1f %8d %9d %7d %9s %9s %8s\n", n, g, b - a, c - b,
			(c - b) - (b - a), kb, mb, f, x[1], x[2], x[3] }'
	rm -rf "$T/recs" "$T/report" "$T/page.html" "$T/page_files"
done
