#!/usr/bin/env python3
"""Seed corpora for the fuzz tests (hostile input): every hostile input found by hand, plus small valid files, written
where Jazzer's @FuzzTest runs them as regression tests (src/test/resources/<package>/<Class>Inputs/<method>/).
Run from the repository root with Debian's python3-pil: /usr/bin/python3 scripts/make_fuzz_seeds.py
"""
import io
import os
import struct
import zipfile
import zlib

from PIL import Image

ENGINE = "engine/src/test/resources/clip4j/fuzz"
CONVERTER = "weights-converter/src/test/resources/clip4j/convert/fuzz"


def put(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def png(img, **kw):
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def images():
    d = os.path.join(ENGINE, "ImageFuzzTestInputs", "decodeAndPreprocess")
    put(d, "aspect-9500x1.png", png(Image.new("RGB", (9500, 1), (200, 30, 40)), optimize=True))
    put(d, "aspect-1x20000.png", png(Image.new("L", (1, 20000), 90), optimize=True))
    put(d, "small-rgba.png", png(Image.new("RGBA", (7, 5), (1, 2, 3, 128))))
    put(d, "small-palette.png", png(Image.new("RGB", (9, 4), (9, 99, 199)).quantize(colors=4)))
    b = io.BytesIO()
    Image.new("RGB", (33, 21), (120, 60, 30)).save(b, "JPEG", quality=80)
    jpg = b.getvalue()
    put(d, "small.jpg", jpg)
    put(d, "truncated.jpg", jpg[: len(jpg) // 2])
    b = io.BytesIO()
    Image.new("CMYK", (17, 9), (10, 200, 30, 40)).save(b, "JPEG")
    put(d, "cmyk.jpg", b.getvalue())
    for fmt, ext in (("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tif")):
        b = io.BytesIO()
        Image.new("RGB", (6, 3), (5, 50, 150)).save(b, fmt)
        put(d, "small." + ext, b.getvalue())
    # a PNG header claiming 20000 x 6000 pixels with no pixel data (over the 100 MP cap)
    ihdr = struct.pack(">IIBBBBB", 20000, 6000, 8, 2, 0, 0, 0)
    chunk = lambda t, c: struct.pack(">I", len(c)) + t + c + struct.pack(">I", zlib.crc32(t + c) & 0xffffffff)
    put(d, "header-100mp.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def texts():
    d = os.path.join(ENGINE, "TokenizerFuzzTestInputs", "tokenize")
    put(d, "long-word.txt", b"supercalifragilistic" * 6500)  # 128 KB without a space
    put(d, "entities.txt", "tomatoes &amp;amp; potatoes &#x1F431; &notanentity; caf\u00e9 na\u00efve".encode())
    put(d, "emoji.txt", ("\U0001F431\U0001F436 " * 50).encode())
    put(d, "specials.txt", b"<|startoftext|>x<|endoftext|> <|endoftext|>" * 30)
    put(d, "whitespace.txt", b" \t\n\r\x0b\x0c" * 100 + b"\xff\xfe invalid utf-8 \xc3")


def safetensors():
    d = os.path.join(ENGINE, "SafetensorsFuzzTestInputs", "header")
    hdr = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}'
    put(d, "valid.safetensors", struct.pack("<Q", len(hdr)) + hdr + struct.pack("<2f", 1.5, -2.0))
    put(d, "header-too-long.safetensors", struct.pack("<Q", 1 << 62) + b"{}")
    over = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
    put(d, "overlapping.safetensors", struct.pack("<Q", len(over)) + over + bytes(12))
    huge = b'{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}'
    put(d, "shape-overflow.safetensors", struct.pack("<Q", len(huge)) + huge + bytes(8))


def json_seeds():
    d = os.path.join(ENGINE, "JsonFuzzTestInputs", "parse")
    put(d, "deep.json", b"[" * 5000 + b"]" * 5000)
    put(d, "numbers.json", b'{"a": 1e999, "b": -0, "c": 12345678901234567890, "d": 1.5e-400}')
    put(d, "escapes.json", b'{"\\u0000\\ud800x": "\\uDC00\\n\\t\\"", "k": [true, false, null]}')
    put(d, "duplicate.json", b'{"a": 1, "a": 2}')


def pickles():
    d = os.path.join(CONVERTER, "UnpicklerFuzzTestInputs", "onlyClipExceptions")
    self_list = b"]q\x00h\x00a"
    variants = {
        "self-key-setitem.pkl": b"}" + self_list + b"Ns.",
        "self-key-setitems.pkl": b"}(" + self_list + b"Nu.",
        "self-set-additems.pkl": b"\x8f(" + self_list + b"\x90.",
        "self-frozenset.pkl": b"(" + self_list + b"\x91.",
        "self-newobj.pkl": self_list + b")\x81.",
        "self-persistent-id.pkl": b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n" + self_list
                                  + b"X\x03\x00\x00\x00cpuK\x04tQ.",
        "os-system.pkl": b"cos\nsystem\nX\x04\x00\x00\x00true\x85R.",
        "stack-global-none.pkl": b"\x8fNN\x93.",
    }
    for name, body in variants.items():
        put(d, name, b"\x80\x02" + body)


def torch_zips():
    d = os.path.join(CONVERTER, "TorchZipFuzzTestInputs", "read")
    # one tensor "w" of 4 floats, as torch.save lays it out
    pkl = (b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n"
           b"((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ\x04\x00\x00\x00tQ"
           b"J\x00\x00\x00\x00(J\x04\x00\x00\x00t(J\x01\x00\x00\x00t\x89ccollections\nOrderedDict\n)RtRu.")
    data = struct.pack("<4f", 1, 2, 3, 4)

    def archive(records, method=zipfile.ZIP_STORED):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", method) as z:
            for name, content in records:
                z.writestr(name, content)
        return b.getvalue()

    valid = archive([("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/data/0", data)])
    put(d, "valid.pt", valid)
    put(d, "storage-bomb.pt", archive([("archive/data.pkl", pkl), ("archive/data/0", bytes(50 << 20))],
                                     zipfile.ZIP_DEFLATED))
    flipped = bytearray(valid)
    at = flipped.find(b"archive/data/0") + len(b"archive/data/0")
    flipped[at] ^= 0x40
    put(d, "flipped-crc.pt", bytes(flipped))
    stride = pkl.replace(b"(J\x01\x00\x00\x00t", b"(\x8a\x08" + struct.pack("<q", 1 << 62) + b"t")
    put(d, "stride-overflow.pt", archive([("archive/data.pkl", stride.replace(b"(J\x04\x00\x00\x00t(", b"(J\x05\x00\x00\x00t(")),
                                          ("archive/data/0", data)]))


if __name__ == "__main__":
    images()
    texts()
    safetensors()
    json_seeds()
    pickles()
    torch_zips()
    print("seeds written")
