# embed.awk — each file named on the command line (review.css, review.js) as a C string
# named review_<extension> (review_css, review_js), for lib/report/report_html.c; run by
# the Makefile into $(BUILD)/gen/review_assets.h.  Backslashes, quotes, tabs and '?' (no
# trigraphs) are escaped one character at a time (gsub's replacement escapes differ
# between awks); every line keeps its newline.
FNR == 1 {
	if (NR > 1)
		print ";"
	n = FILENAME
	sub(/^.*\./, "", n)
	print "static const char review_" n "[] ="
}
{
	o = ""
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "\\" || c == "\"" || c == "?")
			o = o "\\" c
		else if (c == "\t")
			o = o "\\t"
		else
			o = o c
	}
	print "\t\"" o "\\n\""
}
END {
	print ";"
}
