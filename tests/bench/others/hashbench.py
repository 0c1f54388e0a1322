#!/usr/bin/python3
"""hashbench.py - other hashers, each in ONE process over a list of files, for others.sh.

    hashbench.py imagehash LIST   ImageHash phash (PIL decode + 32x32 DCT), one core
    hashbench.py cv2 LIST         OpenCV cv2.imread + cv2.img_hash.PHash_create().compute
    hashbench.py pildraft LIST    PIL JPEG decode at 1/8 DCT scale to grayscale (draft
                                  mode): the decode floor inside one process
    hashbench.py big SRC OUT N    write every photo in SRC as a 4000x3000 (12 MP) JPEG,
                                  quality 90, N copies each (slightly shifted crops, so
                                  no two files share bytes), into OUT

Timing modes print one line, "N OK WALL CPU", for the loop alone (imports and
interpreter start excluded: the per-file cost is what is compared): N files, OK hashed,
WALL seconds, CPU seconds (user + sys of this process).  Exit 3 when the library is
missing.
"""
import os
import sys
import time


def loop(paths, fn):
    ok = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for p in paths:
        try:
            if fn(p) is not None:
                ok += 1
        except Exception as e:  # a file the library cannot read counts as not hashed
            sys.stderr.write("hashbench: %s: %s\n" % (p, e))
    t1 = time.perf_counter()
    c1 = time.process_time()
    cpu = c1 - c0
    print("%d %d %.6f %.6f" % (len(paths), ok, t1 - t0, cpu))


def main():
    mode = sys.argv[1]
    if mode == "big":
        big(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    with open(sys.argv[2]) as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    if mode == "imagehash":
        try:
            import imagehash
            from PIL import Image
        except ImportError as e:
            sys.stderr.write("hashbench: %s\n" % e)
            sys.exit(3)

        def fn(p):
            with Image.open(p) as im:
                return imagehash.phash(im)
        loop(paths, fn)
    elif mode == "cv2":
        try:
            import cv2
            h = cv2.img_hash.PHash_create()
        except (ImportError, AttributeError) as e:
            sys.stderr.write("hashbench: %s\n" % e)
            sys.exit(3)
        cv2.setNumThreads(1)

        def fn(p):
            im = cv2.imread(p)
            if im is None:
                raise ValueError("cv2.imread could not read it")
            return h.compute(im)
        loop(paths, fn)
    elif mode == "pildraft":
        from PIL import Image

        def fn(p):
            with Image.open(p) as im:
                if im.format != "JPEG":
                    return None
                im.draft("L", (max(1, im.width // 8), max(1, im.height // 8)))
                im.load()
                return im.size
        loop(paths, fn)
    else:
        sys.exit("hashbench: unknown mode " + mode)


def big(src, out, copies):
    from PIL import Image
    os.makedirs(out, exist_ok=True)
    W, H = 4000, 3000
    for name in sorted(os.listdir(src)):
        stem, ext = os.path.splitext(name)
        if ext.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
            continue
        with Image.open(os.path.join(src, name)) as im:
            im = im.convert("RGB")
            # cover 4000x3000 at the photo's own aspect, then a centred crop
            s = max(W / im.width, H / im.height) * 1.02
            up = im.resize((round(im.width * s), round(im.height * s)), Image.BICUBIC)
        for k in range(copies):
            dx = (up.width - W) // 2 + k
            dy = (up.height - H) // 2 + k
            up.crop((dx, dy, dx + W, dy + H)).save(
                os.path.join(out, "%s_%02d.jpg" % (stem, k)), "JPEG", quality=90)


if __name__ == "__main__":
    main()
