#!/bin/sh
# gpu.sh — CPU against GPU: featx-style hashing (all cores against gpu_hash_batch) on the
# example photos' working images, and the Hamming pair search (mih_pairs against
# gpu_pairs) at 1M and 10M hashes.  Prints one "skipped" line and exits 0 without a
# CUDA device or a CUDA build.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
B=$BUILD/tests/helpers/gpubench
if [ ! -x "$B" ]; then
	make --no-print-directory BUILD="$BUILD" "$B" > /dev/null || exit 2
fi
if ! why=$("$B" probe); then
	echo "skipped: no CUDA device ($why)"
	exit 0
fi
echo "GPU: $why"
echo "| what | CPU | GPU | check |"
echo "| --- | --- | --- | --- |"
"$B" hash 20000 || exit 1
for n in 1000000 10000000; do
	"$B" pairs $n 8 || exit 1
done
