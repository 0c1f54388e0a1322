#!/bin/sh
# The tone curve the detail pass reads one picture's details through (group.c tone_curve)
# keeps the order of levels, as a gamma, a contrast or a gray copy does: a caption's
# white letters over a dark star field made the curve's top band fall to the sky's level,
# and then the stars of that band missed on both sides and the copy with the caption was
# told apart from its star field (make eval: a galaxy's caption copy 37, here six of
# sixteen 43 to 72).  Copies with a caption are taken, and two star fields stay apart.
. "$(dirname "$0")/lib.sh"

star_fields "$T/img"
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "every copy with a caption is taken with its star field" \
	"$(jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0])) |
		select(.a | endswith("caption.png")) | select(.b | endswith("original.png")) |
		select(.stage == 0) | "\(.a) detail \(.detail)"' "$T/trace")" ""
check "and so are all sixteen" test "$(jq -r 'select(.stage > 0) |
	select(.a | endswith("caption.png")) | select(.b | endswith("original.png")) | .a' "$T/trace" |
	wc -l)" -eq 16
# (nor is a caption's copy told apart from the gamma copy but in one case: sky7's
# caption is a short word, three cells of the 32 x 32 details wide and as tall, over a
# dark sky; read from the gamma copy onto the caption's, the order dedupe matches the
# two in, it misses as a blot, not as a line of text, and the gamma copy stays out of
# the group, kept.  Read the other way, the tone curve took the word's white for the
# sky's black, as it may take any one band)
check_eq "no pair of a caption's copy and its star field is told apart on the details" \
	"$(jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0]) and .detail > 35) |
		select(.a + .b | test("original")) | "\(.a) \(.b) \(.detail)"' "$T/trace")" ""
check_eq "nor from its gamma copy, but sky7's" \
	"$(jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0]) and .detail > 35) |
		select(.a + .b | test("original") | not) | .a' "$T/trace")" "sky7/caption.png"
check_eq "no star field shares a group with another" "$(mixed_groups "$T/r")" ""
finish
