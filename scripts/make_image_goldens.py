#!/usr/bin/env python3
"""Goldens for the image formats beyond plain 8-bit PNG (docs/preprocessing.md#image-modes, #decoding): JPEG (RGB 4:2:0
and 4:4:4, progressive, greyscale, CMYK as Pillow writes it, YCCK as libjpeg writes it), 16-bit PNG (greyscale, which
Pillow opens as mode I; RGB; RGBA), TIFF, and WebP (lossless and lossy, with and without alpha).

For each image it writes NAME.EXT and NAME.expected224.png / NAME.expected32.png: the uint8 RGB pixels of CLIP's
preprocessing (Resize bicubic, CenterCrop, convert("RGB")) computed by Pillow. Run from the repository root with
Debian's python3-pil and python3-numpy (no torch needed), gcc and libjpeg62-turbo-dev:
    /usr/bin/python3 scripts/make_image_goldens.py
"""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pillow_pipeline import pil_pipeline  # noqa: E402

OUT = "engine/src/test/resources/golden/formats"


def png16(path, a):
    """A 16-bit RGB (H, W, 3) or RGBA (H, W, 4) PNG, written directly: Pillow has no 16-bit colour mode to save from."""
    h, w, c = a.shape
    rows = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, {3: 2, 4: 6}[c], 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def photo(w, h, seed):
    """Smooth gradients plus noise: photo-like content that JPEG and lossy WebP compress realistically."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    rgb = np.stack([(np.sin(x * 7) * 0.5 + 0.5) * 255, (np.cos(y * 5 + x) * 0.5 + 0.5) * 255, x * y * 255], -1)
    return np.clip(rgb + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}

    def save(name, img, **kw):
        img.save(os.path.join(OUT, name), **kw)
        files[name] = Image.open(os.path.join(OUT, name)).mode

    p = photo(173, 131, 0)
    save("jpeg_rgb420_173x131.jpg", Image.fromarray(p), quality=85)
    save("jpeg_rgb444_173x131.jpg", Image.fromarray(p), quality=85, subsampling=0)
    save("jpeg_progressive_173x131.jpg", Image.fromarray(p), quality=85, progressive=True)
    save("jpeg_l_131x173.jpg", Image.fromarray(np.ascontiguousarray(p[:, :, 0].T)), quality=85)
    c = np.array(Image.fromarray(p).convert("CMYK"))
    c[:, :, 3] = (np.arange(173)[None, :] * 120 // 173).astype(np.uint8)
    save("jpeg_cmyk_173x131.jpg", Image.fromarray(c, "CMYK"), quality=90)
    ycck = os.path.join(OUT, "jpeg_ycck_90x70.jpg")
    subprocess.run(["gcc", "-O2", "scripts/ycck_jpeg.c", "-o", "/tmp/ycck_jpeg", "-ljpeg"], check=True)
    subprocess.run(["/tmp/ycck_jpeg", ycck, "90", "70"], check=True)
    files["jpeg_ycck_90x70.jpg"] = Image.open(ycck).mode

    y, x = np.mgrid[0:90, 0:120]
    save("png16_i_120x90.png", Image.fromarray(((x * 65535) // 119).astype(np.uint16)))
    save("png16_ilow_120x90.png", Image.fromarray((((x * 7 + y * 3) % 420) + (y // 30) * 100).astype(np.uint16)))
    # 16-bit colour: low bytes vary independently of the high bytes, so keeping the wrong byte would show
    rgb16 = p.astype(np.uint16) * 256 + (np.arange(173, dtype=np.uint16)[None, :, None] * 37 % 256)
    png16(os.path.join(OUT, "png16_rgb_173x131.png"), rgb16)
    rgba16 = np.dstack([rgb16, (np.arange(173)[None, :].repeat(131, 0) * 380).astype(np.uint16)])
    png16(os.path.join(OUT, "png16_rgba_173x131.png"), rgba16)
    for n in ("png16_rgb_173x131.png", "png16_rgba_173x131.png"):
        files[n] = Image.open(os.path.join(OUT, n)).mode
    save("tiff_rgb_173x131.tif", Image.fromarray(p))

    # extreme aspect ratios: the resize's long side is 50-150 thousand pixels, of which the crop keeps 224
    stripe = photo(2000, 3, 2)
    save("aspect_2000x3.png", Image.fromarray(stripe))
    save("aspect_l_2x1500.png", Image.fromarray(np.ascontiguousarray(stripe[:2, :1500, 1].T)))
    pal = Image.fromarray(stripe).quantize(colors=16)
    save("aspect_p_2000x3.png", pal)

    q = photo(157, 119, 1)
    a = (np.arange(157)[None, :].repeat(119, 0) * 255 // 156).astype(np.uint8)
    save("webp_lossless_157x119.webp", Image.fromarray(q), lossless=True)
    save("webp_lossless_rgba_157x119.webp", Image.fromarray(np.dstack([q, a]), "RGBA"), lossless=True)
    save("webp_lossy_157x119.webp", Image.fromarray(q), quality=80)

    for name, mode in files.items():
        img = Image.open(os.path.join(OUT, name))
        for s in (224, 32):
            Image.fromarray(pil_pipeline(img, s), "RGB").save(os.path.join(OUT, "%s.expected%d.png" % (name.rsplit(".", 1)[0], s)))
        print(name, mode)


if __name__ == "__main__":
    main()
