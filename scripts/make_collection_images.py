#!/usr/bin/python3
"""Image collections for measuring 'clip4j embed' (bench/collection/measure.sh):
fashion-mnist/  the first N Fashion-MNIST training images as 28x28 PNG files (Debian's dataset-fashion-mnist);
photos/         M photo-sized (1024x768) JPEGs (quality 90) of smooth colour fields with shapes and noise, seeded.
Usage: make_collection_images.py OUT_DIR [N=10000] [M=2000]"""
import gzip, os, sys
import numpy as np
from PIL import Image, ImageDraw

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
m = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
fm = os.path.join(out, "fashion-mnist")
if not os.path.isdir(fm):
    os.makedirs(fm + ".tmp", exist_ok=True)
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        data = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    for i in range(n):
        Image.fromarray(data[i], "L").save(os.path.join(fm + ".tmp", "%05d.png" % i))
    os.rename(fm + ".tmp", fm)
ph = os.path.join(out, "photos")
if not os.path.isdir(ph):
    os.makedirs(ph + ".tmp", exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:768, 0:1024].astype(np.float32)
    for i in range(m):
        c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        t = ((xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1)) / 1500.0 + 0.5)[..., None]
        img = (c0 * t + c1 * (1 - t) + rng.normal(0, 12, (768, 1024, 3))).clip(0, 255).astype(np.uint8)
        im = Image.fromarray(img, "RGB")
        d = ImageDraw.Draw(im)
        for _ in range(6):
            x, y, r = rng.integers(0, 1024), rng.integers(0, 768), rng.integers(20, 200)
            d.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
        im.save(os.path.join(ph + ".tmp", "%05d.jpg" % i), quality=90)
    os.rename(ph + ".tmp", ph)
