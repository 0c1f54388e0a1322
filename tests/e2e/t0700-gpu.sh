#!/bin/sh
# --device cuda: on a machine with a CUDA GPU, featx and dedupe give exactly the records
# of --device cpu (the kernels are bit-for-bit copies of the CPU hashes and search).
# Without a GPU, or built without CUDA, the same commands must refuse in one line with
# exit 2 and write nothing; the parity part is then counted as skipped with the reason.
# Only "built without CUDA" and "no CUDA device (...)" (the driver lists none) skip: any
# other CUDA error ("no CUDA device usable: ...", a failing kernel) fails.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/in"
$PY examples/mkvariants.py "$PHOTOS" "$T/in" > /dev/null
rm -f "$T/in/truth.tsv"
azls -q "$T/in" > "$T/list"

featx --device cuda -i "$T/list" -o "$T/gpu-feat" 2> "$T/err"
rc=$?
if [ "$rc" -ne 0 ]; then
	check_eq "no usable GPU: featx --device cuda exits 2" "$rc" "2"
	check_eq "no usable GPU: one line on stderr" "$(wc -l < "$T/err" | tr -d ' ')" "1"
	check "no GPU: it says there is no device (any other CUDA error fails)" \
	    grep -Eq '^featx: --device cuda:0: (no CUDA device \(|built without CUDA)' "$T/err"
	check "no usable GPU: no output file" test ! -e "$T/gpu-feat"
	dedupe --device cuda:3 -i /dev/null -o "$T/gpu-report" 2> "$T/err2"
	check_eq "no usable GPU: dedupe --device cuda:3 exits 2" "$?" "2"
	check "no usable GPU: dedupe names the device" grep -q '^dedupe: --device cuda:3: ' "$T/err2"
	why=$(sed 's/^featx: //' "$T/err" | head -n 1)
	skip "featx --device cuda: the same records as on the CPU ($why)"
	skip "featx --device cuda -j 1: the same again ($why)"
	for opt in "(defaults)" "--rotations" "--phash-max 20 --no-local"; do
		skip "dedupe $opt --device cuda: the same report ($why)"
	done
	finish
fi
featx --device cpu -i "$T/list" -o "$T/cpu-feat"
check "featx --device cuda: the same records as on the CPU" cmp "$T/cpu-feat" "$T/gpu-feat"
featx -j 1 --device cuda -i "$T/list" -o "$T/gpu-feat1"
check "featx --device cuda -j 1: the same again" cmp "$T/cpu-feat" "$T/gpu-feat1"
for opt in "" "--rotations" "--phash-max 20 --no-local"; do
	# shellcheck disable=SC2086
	dedupe -q $opt -i "$T/cpu-feat" -o "$T/cpu-rep"
	# shellcheck disable=SC2086
	dedupe -q $opt --device cuda -i "$T/cpu-feat" -o "$T/gpu-rep"
	check "dedupe ${opt:-(defaults)} --device cuda: the same report" cmp "$T/cpu-rep" "$T/gpu-rep"
done
finish
