#!/bin/sh
# --device cuda: on a machine with a CUDA GPU, featx and dedupe give exactly the records
# of --device cpu (the kernels are bit-for-bit copies of the CPU hashes and search).
# Without a GPU, or built without CUDA, the same commands must refuse in one line with
# exit 2 and write nothing; the parity part is then counted as skipped with the reason.
# Only "built without CUDA" and "no CUDA device (...)" (the driver lists none) skip: any
# other CUDA error ("no CUDA device usable: ...", a failing kernel) fails.
# The tools never link libcudart; a missing or foreign plugin is one line and exit 2.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/in"
$PY examples/mkvariants.py "$PHOTOS" "$T/in" > /dev/null
rm -f "$T/in/truth.tsv"
azls -q "$T/in" > "$T/list"

# The tools never link the CUDA runtime: CUDA is the plugin's, loaded on --device cuda.
for t in azls azget featx featstore dedupe azcp; do
	check "$t does not link libcudart" sh -c "! readelf -d '$BIN/$t' | grep -q 'NEEDED.*cudart'"
done
if grep -q '^NVCC=.' "$TOP/$BUILD/cuda.stamp" 2> /dev/null; then
	PLUGIN="$TOP/$BUILD/lib/azdedup/azdedup-cuda.so"
	check "the CUDA plugin is built" test -f "$PLUGIN"
	check "the plugin links libcudart" sh -c "readelf -d '$PLUGIN' | grep -q 'NEEDED.*cudart'"
	# a plugin that is missing, one whose own library is missing, one that is not ours:
	# each is one line and exit 2, and never a "no device" (the GPU tests would skip)
	printf 'int azd_dep(void);\nint azd_dep(void) { return 0; }\n' > "$T/dep.c"
	printf 'int azd_dep(void);\nint azd_use(void);\nint azd_use(void) { return azd_dep(); }\n' > "$T/use.c"
	cc -shared -fPIC -o "$T/libazdgone.so" "$T/dep.c" &&
		cc -shared -fPIC -o "$T/needsgone.so" "$T/use.c" -L"$T" -lazdgone &&
		rm "$T/libazdgone.so"
	for case in "$T/none.so|cannot load the CUDA plugin $T/none.so: cannot open shared object file" \
	    "$T/needsgone.so|cannot load the CUDA plugin $T/needsgone.so: libazdgone.so: cannot open" \
	    "$T/dep.c|cannot load the CUDA plugin $T/dep.c: "; do
		p=${case%%|*}
		want=${case#*|}
		for tool in featx dedupe; do
			AZDEDUP_CUDA_PLUGIN=$p $tool --device cuda -i /dev/null -o "$T/o" 2> "$T/perr"
			check_eq "plugin $(basename "$p"): $tool --device cuda exits 2" "$?" "2"
			check_eq "plugin $(basename "$p"): $tool says it in one line" \
			    "$(wc -l < "$T/perr" | tr -d ' ')" "1"
			check "plugin $(basename "$p"): $tool says why" \
			    grep -qF "$tool: --device cuda:0: $want" "$T/perr"
			check "plugin $(basename "$p"): $tool writes nothing" test ! -e "$T/o"
		done
	done
	# a plugin of another interface (AZK_ABI) is refused before any call through it
	printf 'struct t { int abi; };\nconst struct t *azk_plugin(void);\nstatic const struct t t = { 9999 };\nconst struct t *azk_plugin(void) { return &t; }\n' > "$T/abi.c"
	cc -shared -fPIC -o "$T/abi.so" "$T/abi.c"
	AZDEDUP_CUDA_PLUGIN=$T/abi.so dedupe --device cuda -i /dev/null -o "$T/o" 2> "$T/perr"
	check_eq "a plugin of another interface: exit 2" "$?" "2"
	check "a plugin of another interface: it says so" \
	    grep -q "^dedupe: --device cuda:0: $T/abi.so: CUDA plugin of interface 9999, these tools need [0-9]* (install the plugin built with them)\$" "$T/perr"
	# a program two folders down (build/tests/helpers) finds the build's plugin too: it
	# answers with a device or "no CUDA device", never that the plugin did not load
	"$HELPERS/gpubench" probe > "$T/probe" 2>&1
	check "build/tests/helpers/gpubench finds the plugin" \
	    sh -c "! grep -q 'CUDA plugin' '$T/probe' && [ -s '$T/probe' ]"
	printf 'int azd_x(void);\nint azd_x(void) { return 1; }\n' > "$T/x.c"
	cc -shared -fPIC -o "$T/notours.so" "$T/x.c"
	AZDEDUP_CUDA_PLUGIN=$T/notours.so featx --device cuda -i /dev/null -o "$T/o" 2> "$T/perr"
	check_eq "a library that is not the plugin: exit 2" "$?" "2"
	check "a library that is not the plugin: it says so" \
	    grep -qx "featx: --device cuda:0: $T/notours.so: not an azdedup CUDA plugin (no azk_plugin)" "$T/perr"
else
	AZDEDUP_CUDA_PLUGIN=$T/none.so featx --device cuda -i /dev/null -o "$T/o" 2> "$T/perr"
	check "built without CUDA: AZDEDUP_CUDA_PLUGIN changes nothing" \
	    grep -qx 'featx: --device cuda:0: built without CUDA (nvcc was not found at build time)' "$T/perr"
fi

# Switching the CUDA setting rebuilds lib/features/gpu.o (build/cuda.stamp): a CPU-only build
# followed by a plain make must not keep the "built without CUDA" object, nor the other
# way round.  (NVCC=/bin/true: gpu.o itself needs no nvcc, only the setting.)
B="$T/stampbuild"
gpuo() { make --no-print-directory -C "$TOP" BUILD="$B" "$@" "$B/lib/features/gpu.o" 2>&1; }
gpuo CUDA=0 > "$T/mk1"
check "a CPU-only build compiles gpu.o without AZD_CUDA" sh -c "grep -q 'gpu.c' '$T/mk1' && ! grep -q AZD_CUDA '$T/mk1'"
gpuo NVCC=/bin/true > "$T/mk2"
check "then a CUDA build recompiles it with AZD_CUDA" grep -q -- '-DAZD_CUDA .*gpu.c' "$T/mk2"
gpuo NVCC=/bin/true > "$T/mk3"
check "the same setting again compiles nothing" sh -c "! grep -q 'gpu.c' '$T/mk3'"
gpuo CUDA=0 > "$T/mk4"
check "and back to CPU-only recompiles it without" sh -c "grep -q 'gpu.c' '$T/mk4' && ! grep -q AZD_CUDA '$T/mk4'"
rm -rf "$B"

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
