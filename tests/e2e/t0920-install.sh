#!/bin/sh
# make install under a DESTDIR: the six tools, every man page, pipeline.mk and, in a CUDA
# build, the CUDA plugin, nothing else; the installed pipeline.mk run from another folder
# on the example photos finds the installed tools (with them on PATH and without); the
# installed featx finds the installed plugin; make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"

R="$T/root"
P=/usr/local
I="$R$P"
# make install with the build's own CUDA setting (the stamp), so that it rebuilds nothing
cuda=$(sed -n 's/^NVCC=//p' "$TOP/$BUILD/cuda.stamp" 2> /dev/null)
mk() { make --no-print-directory -C "$TOP" BUILD="$BUILD" NVCC="$cuda" DESTDIR="$R" PREFIX=$P "$@"; }

mk install > "$T/install.out" 2>&1
check_eq "make install DESTDIR=... PREFIX=$P succeeds" "$?" "0"
check "make install rebuilt nothing" sh -c "! grep -Eq '(^| )-o [^ ]*$BUILD/' '$T/install.out'"

{
	for t in azls azget featx featstore dedupe azcp; do echo "bin/$t"; done
	for m in "$TOP"/man/*.[157]; do
		b=$(basename "$m")
		echo "share/man/man${b##*.}/$b"
	done
	echo share/azdedup/pipeline.mk
	[ -n "$cuda" ] && echo lib/azdedup/azdedup-cuda.so
} | sort > "$T/want"
(cd "$I" && find . -type f | sed 's|^\./||' | sort) > "$T/got"
check "exactly the tools, man pages, pipeline.mk and plugin are installed" diff "$T/want" "$T/got"
check_eq "nothing lands outside PREFIX" "$(cd "$R" && find . -type f | grep -vc "^\.$P/")" "0"
check "the man pages are the sources" sh -c "for m in '$TOP'/man/*.[157]; do b=\$(basename \$m); cmp \"\$m\" '$I/share/man/man'\${b##*.}/\$b || exit 1; done"
check "the installed pipeline.mk is the source's" cmp "$TOP/pipeline.mk" "$I/share/azdedup/pipeline.mk"
check "the installed tools are executable" test -x "$I/bin/featx"

# from another folder, with the installed bin on PATH (and the build's bin off it)
mkdir -p "$T/elsewhere" "$T/src"
cp "$PHOTOS"/*.jpg "$PHOTOS"/*.png "$PHOTOS"/*.webp "$T/src/"
n=$(ls "$T/src" | wc -l)
cd "$T/elsewhere" || exit 2
PATH="$I/bin:/usr/bin:/bin" make --no-print-directory -f "$I/share/azdedup/pipeline.mk" \
	SRC="$T/src" DST="$T/dst" WORK=work V=1 > "$T/pipe.out" 2>&1
check_eq "the installed pipeline.mk runs from another folder" "$?" "0"
check "it ran the installed tools" grep -q "^$I/bin/dedupe " "$T/pipe.out"
check_eq "its report has every photo" \
	"$(jq -r 'select(.type == "summary") | .images' work/report.ndjson 2> /dev/null)" "$n"
check_eq "every unique photo is copied" "$(find "$T/dst" -type f | wc -l | tr -d ' ')" \
	"$(jq -r 'select(.type == "summary") | .unique' work/report.ndjson 2> /dev/null)"
# without the installed bin on PATH it still finds the tools beside it
PATH=/usr/bin:/bin make --no-print-directory -s -f "$I/share/azdedup/pipeline.mk" \
	SRC="$T/src" DST="$T/dst2" WORK=work2 Q=-q > "$T/pipe2.out" 2>&1
check_eq "the installed pipeline.mk finds the installed tools off PATH" "$?" "0"
check_eq "off PATH: the same photos copied" "$(cd "$T/dst2" 2> /dev/null && find . -type f | sort)" \
	"$(cd "$T/dst" && find . -type f | sort)"
cd "$TOP" || exit 2

if [ -n "$cuda" ]; then
	# the installed featx loads the installed plugin (then: a GPU, or "no CUDA device")
	(cd "$T/elsewhere" && PATH=/usr/bin:/bin "$I/bin/featx" --device cuda -i /dev/null -o "$T/fo") 2> "$T/cuda.err"
	rc=$?
	check "the installed featx loads the installed plugin" \
		sh -c "[ $rc -eq 0 ] || grep -q '^featx: --device cuda:0: no CUDA device' '$T/cuda.err'"
else
	skip "the installed plugin (a CPU-only build has none)"
fi

mk uninstall > "$T/uninstall.out" 2>&1
check_eq "make uninstall succeeds" "$?" "0"
check_eq "make uninstall leaves no file" "$(find "$R" -type f | wc -l | tr -d ' ')" "0"
check "make uninstall removes its folders" sh -c "test ! -e '$I/share/azdedup' && test ! -e '$I/lib/azdedup'"
finish
