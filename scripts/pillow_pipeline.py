"""CLIP's eval preprocessing up to the uint8 pixels, with Pillow (upstream clip/clip.py _transform; docs/preprocessing.md):
Resize(s, bicubic) on the shortest side with torchvision's int() sizes, CenterCrop(s) with its round-half-even offsets,
convert("RGB"). Shared by make_goldens.py and make_image_goldens.py."""
import numpy as np
from PIL import Image


def pil_pipeline(img, s):
    w, h = img.size
    if w <= h:
        ow, oh = s, int(s * h / w)
    else:
        ow, oh = int(s * w / h), s
    if (ow, oh) != img.size:
        img = img.resize((ow, oh), Image.BICUBIC)
    top = int(round((oh - s) / 2.0))
    left = int(round((ow - s) / 2.0))
    img = img.crop((left, top, left + s, top + s)).convert("RGB")
    return np.array(img, dtype=np.uint8)
