#!/bin/sh
# A page turned by a few degrees is compared by its ink too (GRP_INK_*): make eval's
# forms o007 and o013, two invoices of one template drawn from the very seeds the set's
# build deals them, each with its copy turned by 5 degrees and a letterbox.  Before,
# a turned pair's ink was not read and o013's turned copy joined o007's group (the
# forms set's last 3 false pairs); now each copy is with its own invoice, and the two
# invoices and their copies are in no group together.  And make eval's plots o010, a
# chart of orange dots on lavender paper, with its contrast copy and its copy turned by
# 5 degrees: the turned copy's black corners set no range of its ink (featx), nor is a
# contrast copy's paper read 2 levels off, so all three stay one group.  And make eval's
# forms o010 (a receipt) and o015 (an invoice of another template) turned a quarter,
# which were one group: the turned page's lines run down its grid, and every line had
# been taken for a caption's tall letters and left out with its rows.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2])
import evalsets  # make eval's forms, its seeds and its transforms

out = sys.argv[1]
tr = dict((name, (fn, fmt)) for name, fn, fmt in evalsets.TRANSFORMS)
# set_forms draws one seed an invoice, in order, from the set's generator
rng = random.Random("forms-%d" % evalsets.GEN_VERSION)
seeds = [rng.getrandbits(32) for _ in range(16)]
for i, names in ((7, ("rotate-5deg", "letterbox")), (13, ("rotate-5deg", "letterbox")),
                 (10, ()), (15, ("rotate-90",))):
    oid = "o%03d-form%d-%d" % (i, i % 3, i)
    im = evalsets.form(random.Random(seeds[i]), i % 3)
    os.makedirs(os.path.join(out, oid))
    if i != 15:
        im.save(os.path.join(out, oid, "original.png"))
    for name in names:
        fn, fmt = tr[name]
        evalsets.save(fn(im, random.Random("forms-%s-%s" % (oid, name)), (255, 255, 255)),
                      os.path.join(out, oid, name), fmt, (255, 255, 255))
# set_plots: a style, a title, a kind and a seed a chart, in order
rng = random.Random("plots-%d" % evalsets.GEN_VERSION)
for i in range(11):
    style = evalsets.PLOT_STYLES[i % 3]
    title = evalsets.PLOT_TITLES[rng.randrange(len(evalsets.PLOT_TITLES))]
    kind = ("curves", "curves", "bars", "points")[rng.randrange(4)]
    dseed = rng.getrandbits(32)
oid = "o010-%s-%s-10" % (style, kind)
im = evalsets.chart(random.Random(dseed), style, title, kind)
os.makedirs(os.path.join(out, oid))
im.save(os.path.join(out, oid, "original.png"))
for name in ("contrast", "rotate-5deg"):
    fn, fmt = tr[name]
    evalsets.save(fn(im, random.Random("plots-%s-%s" % (oid, name)), (255, 255, 255)),
                  os.path.join(out, oid, name), fmt, (255, 255, 255))
PY
# one time for every file: the keeper (and with it which pictures a group gathers) is
# then chosen by size and name alone, not by the order the files were written in
find "$T/img" -type f -exec touch -d "2026-01-01 00:00:00" {} +
dedupe_img 11 --trace-pairs "$T/trace"
check_eq "the invoices' records and the chart's carry their ink" \
	"$(jq -r 'select(.name // "" | test("/original.png$")) | select(.ink != null) | .name' "$T/feat" | wc -l)" 4
t=$(jq -r 'select(.ink_apart) | select((.a + .b) | test("rotate-5deg")) | .a' "$T/trace" | wc -l)
check "a turned copy's ink is read against the other invoice ($t pairs told apart)" [ "$t" -gt 0 ]
check_eq "each turned copy with its own invoice" "$(with_originals "$T/r" 'form.*/rotate-5deg')" 2
check_eq "the chart's contrast and turned copies in its group" \
	"$(with_originals "$T/r" 'points.*/(contrast|rotate-5deg)')" 2
check_eq "each letterbox with its own invoice" "$(with_originals "$T/r" '/letterbox')" 2
check_eq "no picture in another invoice's group" "$(mixed_groups "$T/r" | wc -l)" 0
# a receipt of one template and an invoice of another turned a quarter: the invoice's
# lines run down its grid, and the marks a line long across them are no caption.  Read
# the receipt onto the invoice (the order dedupe matches them in), their details miss
# by over 50; read the other way, the details passed and the ink told them apart: for
# good either way
check_eq "a receipt and another template's invoice turned a quarter: told apart for good" \
	"$(jq -r 'select(.conflict) | select((.a + " " + .b) | test("o010-form.* o015|o015.* o010-form")) | .a' "$T/trace" | wc -l)" 1
finish
