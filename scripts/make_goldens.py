#!/usr/bin/env python3
"""Golden outputs and small fixtures for clip4j's tests, from a PyTorch fp32 reference (docs/forward-pass.md#numerics).

Run from the repository root with Debian's python3-torch, python3-pil and python3-numpy:
    /usr/bin/python3 scripts/make_goldens.py
It writes engine/src/test/resources/golden/ (preprocessing and ViT-B/32 goldens) and
weights-converter/src/test/resources/fixtures/ (a TorchScript archive with fp16 storage, an open_clip GELU
state dict, a Hugging Face directory, each with its goldens). Full-size weights are never stored: both sides
generate them from a seed with the rule of engine/.../model/SeededWeights.java, mirrored in `seeded` below.
"""
import json
import math
import os
import re
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pillow_pipeline import pil_pipeline  # noqa: E402

torch.set_num_threads(2)
GOLDEN = "engine/src/test/resources/golden"
FIXTURES = "weights-converter/src/test/resources/fixtures"
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
M64 = (1 << 64) - 1

# --- seeded weights (mirror of SeededWeights.java) ------------------------------------------------------------

def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & M64
    return h


def seeded(seed, name, shape, center, scale):
    n = int(np.prod(shape)) if len(shape) else 1
    golden = np.uint64(0x9E3779B97F4A7C15)
    key = np.uint64(fnv1a64(name) ^ ((seed * 0x9E3779B97F4A7C15) & M64))
    with np.errstate(over="ignore"):
        z = key + (np.arange(1, n + 1, dtype=np.uint64) * golden)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64)
    v = (center + scale * (u - 8388608.0) / 8388608.0).astype(np.float32)
    return torch.from_numpy(v.reshape(shape))


def law(name, shape):
    r3 = math.sqrt(3.0)
    if re.fullmatch(r".*\.(bn\d|downsample\.1)\.[a-z_]+", name):  # a ResNet's BatchNorms, far from the identity
        if name.endswith(".running_var"):
            return 1.0, 0.5
        if name.endswith(".weight"):
            return 1.0, 0.25
        return 0.0, 0.1
    if name == "visual.attnpool.positional_embedding":
        return 0.0, r3 / math.sqrt(shape[-1])
    if (name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or "ln_pre.weight" in name
            or "ln_post.weight" in name or name == "ln_final.weight"):
        return 1.0, 0.1
    if "ln_" in name and name.endswith(".bias"):
        return 0.0, 0.05
    if name.endswith("bias"):
        return 0.0, 0.02
    if name == "token_embedding.weight":
        return 0.0, 0.02 * r3
    if name == "positional_embedding":
        return 0.0, 0.01 * r3
    if name in ("visual.class_embedding", "visual.positional_embedding"):
        return 0.0, r3 / math.sqrt(shape[-1])
    fan_in = int(np.prod(shape[1:]))
    return 0.0, r3 / math.sqrt(fan_in)


ARCHS = {
    # name: (W, vision layers, P, R, D, text layers, E, vocab)
    "ViT-B-32": (768, 12, 32, 224, 512, 12, 512, 49408),
    "test-tiny": (128, 2, 8, 32, 64, 2, 64, 49408),
    "fixture-ts": (128, 2, 8, 32, 64, 2, 64, 512),
    "fixture-openclip": (128, 1, 8, 32, 64, 1, 64, 512),
    "fixture-hf": (128, 1, 8, 32, 128, 1, 64, 512),
}


def canonical_schema(arch):
    w, vl, p, r, d, tl, e, vocab = ARCHS[arch]
    g = r // p
    s = OrderedDict()
    s["visual.conv1.weight"] = (w, 3, p, p)
    s["visual.class_embedding"] = (w,)
    s["visual.positional_embedding"] = (g * g + 1, w)
    s["visual.ln_pre.weight"] = (w,)
    s["visual.ln_pre.bias"] = (w,)

    def blocks(prefix, n, width):
        for i in range(n):
            b = "%s%d." % (prefix, i)
            for k, shp in [("ln_1.weight", (width,)), ("ln_1.bias", (width,)),
                           ("attn.in_proj_weight", (3 * width, width)), ("attn.in_proj_bias", (3 * width,)),
                           ("attn.out_proj.weight", (width, width)), ("attn.out_proj.bias", (width,)),
                           ("ln_2.weight", (width,)), ("ln_2.bias", (width,)),
                           ("mlp.c_fc.weight", (4 * width, width)), ("mlp.c_fc.bias", (4 * width,)),
                           ("mlp.c_proj.weight", (width, 4 * width)), ("mlp.c_proj.bias", (width,))]:
                s[b + k] = shp

    blocks("visual.transformer.resblocks.", vl, w)
    s["visual.ln_post.weight"] = (w,)
    s["visual.ln_post.bias"] = (w,)
    s["visual.proj.weight"] = (e, w)
    s["token_embedding.weight"] = (vocab, d)
    s["positional_embedding"] = (77, d)
    blocks("transformer.resblocks.", tl, d)
    s["ln_final.weight"] = (d,)
    s["ln_final.bias"] = (d,)
    s["text_projection.weight"] = (e, d)
    return s


def seeded_state(arch, seed):
    """Canonical tensors (ours: projections in Linear layout) → OpenAI state dict (proj as [in, out])."""
    sd = OrderedDict()
    for name, shape in canonical_schema(arch).items():
        c, sc = law(name, shape)
        t = seeded(seed, name, shape, c, sc)
        if name == "visual.proj.weight":
            sd["visual.proj"] = t.t().contiguous()
        elif name == "text_projection.weight":
            sd["text_projection"] = t.t().contiguous()
        else:
            sd[name] = t
    sd["logit_scale"] = torch.tensor(math.log(100.0), dtype=torch.float32)
    return sd

# --- the reference model: OpenAI's clip/model.py ViT CLIP, written out ---------------------------------------------

class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model: int, n_head: int, quick: bool, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d_model, d_model * 4)),
            ("gelu", QuickGELU() if quick else nn.GELU()),
            ("c_proj", nn.Linear(d_model * 4, d_model))]))
        self.ln_2 = nn.LayerNorm(d_model)
        self.attn_mask = attn_mask

    def attention(self, x):
        mask = self.attn_mask
        if mask is not None:
            mask = mask.to(dtype=x.dtype, device=x.device)
        return self.attn(x, x, x, need_weights=False, attn_mask=mask)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, quick, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, quick, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, r, p, w, layers, heads, e, quick):
        super().__init__()
        self.input_resolution = r
        self.conv1 = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros((r // p) ** 2 + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, layers, heads, quick)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.zeros(w, e))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = x.permute(1, 0, 2)
        x = self.transformer(x)
        x = x.permute(1, 0, 2)
        x = self.ln_post(x[:, 0, :])
        return x @ self.proj


class CLIP(nn.Module):
    def __init__(self, arch, quick):
        super().__init__()
        w, vl, p, r, d, tl, e, vocab = ARCHS[arch]
        self.context_length = 77
        self.vocab_size = vocab
        self.visual = VisionTransformer(r, p, w, vl, w // 64, e, quick)
        mask = torch.empty(77, 77).fill_(float("-inf")).triu_(1)
        self.transformer = Transformer(d, tl, max(d // 64, 1), quick, mask)
        self.token_embedding = nn.Embedding(vocab, d)
        self.positional_embedding = nn.Parameter(torch.zeros(77, d))
        self.ln_final = nn.LayerNorm(d)
        self.text_projection = nn.Parameter(torch.zeros(d, e))
        self.logit_scale = nn.Parameter(torch.ones([]))

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        x = self.token_embedding(text)
        x = x + self.positional_embedding
        x = x.permute(1, 0, 2)
        x = self.transformer(x)
        x = x.permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image, text):
        return self.encode_image(image), self.encode_text(text)


def convert_weights(model):
    """clip/model.py convert_weights: conv, linear and attention weights and biases, and text_projection, to fp16
    (BatchNorms and LayerNorms stay fp32), as OpenAI released its archives."""
    for mod in model.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            mod.weight.data = mod.weight.data.half()
            if mod.bias is not None:
                mod.bias.data = mod.bias.data.half()
        if isinstance(mod, nn.MultiheadAttention):
            for a in ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v"]:
                t = getattr(mod, a)
                if t is not None:
                    t.data = t.data.half()
    model.text_projection.data = model.text_projection.data.half()


def build(arch, seed, quick):
    m = CLIP(arch, quick)
    m.load_state_dict(seeded_state(arch, seed))
    return m.eval()

# --- preprocessing (clip/clip.py _transform, torchvision's order with PIL; docs/preprocessing.md) --------------------

def synthetic(w, h):
    """The synthetic test image of docs/preprocessing.md#test-image."""
    x = np.arange(w)[None, :]
    y = np.arange(h)[:, None]
    r = (7 * x + 3 * y) % 256
    g = ((x * x + y * y) // 7) % 256
    b = (((x // 8) + (y // 8)) % 2) * 200 + (x % 50)
    return np.stack(np.broadcast_arrays(r, g, b), axis=-1).astype(np.uint8)


def to_tensor(rgb):
    t = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div(255)
    mean = torch.tensor(MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(STD, dtype=torch.float32)[:, None, None]
    return (t - mean) / std


def mode_images():
    base = synthetic(500, 300)
    imgs = OrderedDict()
    imgs["rgb_500x300.png"] = Image.fromarray(base, "RGB")
    a = synthetic(301, 200)
    yy, xx = np.mgrid[0:200, 0:301]
    alpha = np.clip((xx * 255) // 200, 0, 255).astype(np.uint8)
    alpha[:, :40] = 0
    alpha[:40, :] = 255
    imgs["rgba_301x200.png"] = Image.fromarray(np.dstack([a, alpha]), "RGBA")
    imgs["l_150x260.png"] = Image.fromarray(synthetic(150, 260)[:, :, 1], "L")
    la = synthetic(90, 70)
    imgs["la_90x70.png"] = Image.fromarray(np.dstack([la[:, :, 0], la[:, :, 2]]), "LA")
    imgs["p_230x190.png"] = Image.fromarray(synthetic(230, 190), "RGB").quantize(colors=64, method=Image.MEDIANCUT)
    imgs["rgb_224x224.png"] = Image.fromarray(synthetic(224, 224), "RGB")
    imgs["rgb_31x17.png"] = Image.fromarray(synthetic(31, 17), "RGB")
    return imgs

# --- writers --------------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    off = 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dt = {np.dtype("float32"): "F32", np.dtype("float16"): "F16"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def hf_state(sd, arch):
    """OpenAI names → HF CLIPModel names (transformers' convert_clip_original_pytorch_to_hf.py; docs/checkpoints.md#name-mapping)."""
    w, vl, p, r, d, tl, e, vocab = ARCHS[arch]
    out = OrderedDict()

    def blocks(src, dst, n, width):
        for i in range(n):
            s = "%s%d." % (src, i)
            t = "%s%d." % (dst, i)
            ip, ib = sd[s + "attn.in_proj_weight"], sd[s + "attn.in_proj_bias"]
            for j, q in enumerate("qkv"):
                out[t + "self_attn.%s_proj.weight" % q] = ip[j * width:(j + 1) * width]
                out[t + "self_attn.%s_proj.bias" % q] = ib[j * width:(j + 1) * width]
            out[t + "self_attn.out_proj.weight"] = sd[s + "attn.out_proj.weight"]
            out[t + "self_attn.out_proj.bias"] = sd[s + "attn.out_proj.bias"]
            for a, b in [("ln_1", "layer_norm1"), ("ln_2", "layer_norm2")]:
                out[t + b + ".weight"] = sd[s + a + ".weight"]
                out[t + b + ".bias"] = sd[s + a + ".bias"]
            for a, b in [("c_fc", "fc1"), ("c_proj", "fc2")]:
                out[t + "mlp.%s.weight" % b] = sd[s + "mlp.%s.weight" % a]
                out[t + "mlp.%s.bias" % b] = sd[s + "mlp.%s.bias" % a]

    out["text_model.embeddings.token_embedding.weight"] = sd["token_embedding.weight"]
    out["text_model.embeddings.position_embedding.weight"] = sd["positional_embedding"]
    blocks("transformer.resblocks.", "text_model.encoder.layers.", tl, d)
    out["text_model.final_layer_norm.weight"] = sd["ln_final.weight"]
    out["text_model.final_layer_norm.bias"] = sd["ln_final.bias"]
    out["vision_model.embeddings.class_embedding"] = sd["visual.class_embedding"]
    out["vision_model.embeddings.patch_embedding.weight"] = sd["visual.conv1.weight"]
    out["vision_model.embeddings.position_embedding.weight"] = sd["visual.positional_embedding"]
    out["vision_model.pre_layrnorm.weight"] = sd["visual.ln_pre.weight"]
    out["vision_model.pre_layrnorm.bias"] = sd["visual.ln_pre.bias"]
    blocks("visual.transformer.resblocks.", "vision_model.encoder.layers.", vl, w)
    out["vision_model.post_layernorm.weight"] = sd["visual.ln_post.weight"]
    out["vision_model.post_layernorm.bias"] = sd["visual.ln_post.bias"]
    out["visual_projection.weight"] = sd["visual.proj"].t().contiguous()
    out["text_projection.weight"] = sd["text_projection"].t().contiguous()
    out["logit_scale"] = sd["logit_scale"]
    return out


def hf_config(arch, act, text_heads):
    w, vl, p, r, d, tl, e, vocab = ARCHS[arch]
    return {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": e, "logit_scale_init_value": 2.6592,
        "text_config": {"hidden_size": d, "intermediate_size": 4 * d, "num_attention_heads": text_heads,
                        "num_hidden_layers": tl, "hidden_act": act, "layer_norm_eps": 1e-5,
                        "max_position_embeddings": 77, "vocab_size": vocab},
        "vision_config": {"hidden_size": w, "intermediate_size": 4 * w, "num_attention_heads": w // 64,
                          "num_hidden_layers": vl, "hidden_act": act, "layer_norm_eps": 1e-5,
                          "image_size": r, "patch_size": p, "num_channels": 3},
    }

# --- goldens ---------------------------------------------------------------------------------------------------

PROMPTS = OrderedDict([
    ("a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]),
    ("a photo of a dog", [49406, 320, 1125, 539, 320, 1929, 49407]),
    ("a diagram", [49406, 320, 22697, 49407]),
    ("it's 2024, isn't it?", [49406, 585, 568, 273, 271, 273, 275, 267, 2923, 713, 585, 286, 49407]),
])
TINY_IDS = [[49406 % 512, 3, 77, 42, 511], [1, 2, 511], [5, 511, 9, 511]]


def pad(ids):
    return ids + [0] * (77 - len(ids))


def floats(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def embed(model, images, ids):
    with torch.no_grad():
        fi = model.encode_image(images) if images is not None else None
        ft = model.encode_text(torch.tensor([pad(i) for i in ids], dtype=torch.long))
    return fi, ft


def norm(t):
    return t / t.norm(dim=-1, keepdim=True)


def golden_record(model, image_names, image_tensors, ids, texts=None):
    fi, ft = embed(model, torch.stack(image_tensors), ids)
    ni, nt = norm(fi), norm(ft)
    logits = model.logit_scale.exp() * ni @ nt.t()
    return {
        "images": [{"file": n, "raw": floats(fi[i]), "embedding": floats(ni[i])} for i, n in enumerate(image_names)],
        "texts": [{"text": (texts[i] if texts else None), "ids": ids[i], "raw": floats(ft[i]), "embedding": floats(nt[i])}
                  for i in range(len(ids))],
        "logits": [floats(row) for row in logits],
    }


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    imgs = mode_images()
    pre = OrderedDict()
    for name, img in imgs.items():
        img.save(os.path.join(GOLDEN, name), optimize=True)
        reread = Image.open(os.path.join(GOLDEN, name))
        assert reread.mode == img.mode, (name, reread.mode)
        for s in (224, 32):
            rgb = pil_pipeline(reread, s)
            Image.fromarray(rgb, "RGB").save(os.path.join(GOLDEN, "%s.expected%d.png" % (name[:-4], s)))
        pre[name] = to_tensor(pil_pipeline(reread, 224))
    vectors = []
    for w, h in [(640, 480), (455, 300), (300, 455), (224, 224)]:
        t = to_tensor(pil_pipeline(Image.fromarray(synthetic(w, h), "RGB"), 224)).double()
        vectors.append({"width": w, "height": h, "sum": float(t.sum()), "abs_sum": float(t.abs().sum()),
                        "t000": float(t[0, 0, 0]), "t1_100_50": float(t[1, 100, 50]), "t2_223_223": float(t[2, 223, 223])})
    with open(os.path.join(GOLDEN, "preprocess.json"), "w") as f:
        json.dump({"synthetic": vectors}, f, indent=1)

    # ViT-B/32-shaped, seed 0, QuickGELU and GELU
    names = ["rgb_500x300.png", "rgba_301x200.png", "p_230x190.png"]
    texts = list(PROMPTS.keys())
    ids = list(PROMPTS.values())
    for act, quick in [("quick_gelu", True), ("gelu", False)]:
        model = build("ViT-B-32", 0, quick)
        rec = golden_record(model, names, [pre[n] for n in names], ids, texts)
        rec.update({"arch": "ViT-B-32", "seed": 0, "activation": act})
        with open(os.path.join(GOLDEN, "vit-b-32-seed0-%s.json" % act), "w") as f:
            json.dump(rec, f)
        print("ViT-B/32", act, "logits", rec["logits"][0][:3])

    # fixtures for the converter: tiny models, seed 7, at resolution 32
    tiny_imgs = ["rgb_500x300.png", "rgba_301x200.png"]
    tiny_px = [to_tensor(pil_pipeline(Image.open(os.path.join(GOLDEN, n)), 32)) for n in tiny_imgs]

    # 1. OpenAI TorchScript archive, fp16 storage as clip.model.convert_weights does
    model = build("fixture-ts", 7, True)
    convert_weights(model)
    model.visual.proj.data = model.visual.proj.data.half()
    ts_path = os.path.join(FIXTURES, "tiny-openai-fp16.pt")
    torch.jit.save(torch.jit.script(model), ts_path)
    ref = build("fixture-ts", 7, True)
    with torch.no_grad():
        for (k, v), (k2, v2) in zip(model.state_dict().items(), ref.state_dict().items()):
            v2.copy_(v.float())
    rec = golden_record(ref, tiny_imgs, tiny_px, TINY_IDS)
    rec.update({"file": "tiny-openai-fp16.pt", "activation": "quick_gelu"})
    with open(os.path.join(FIXTURES, "tiny-openai-fp16.json"), "w") as f:
        json.dump(rec, f)

    # 2. open_clip training checkpoint, GELU, {"state_dict": {"module." + name: tensor}}
    model = build("fixture-openclip", 7, False)
    sd = OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
    torch.save({"epoch": 3, "name": "tiny", "state_dict": sd}, os.path.join(FIXTURES, "tiny-openclip-gelu.pt"))
    rec = golden_record(model, tiny_imgs, tiny_px, TINY_IDS)
    rec.update({"file": "tiny-openclip-gelu.pt", "activation": "gelu"})
    with open(os.path.join(FIXTURES, "tiny-openclip-gelu.json"), "w") as f:
        json.dump(rec, f)

    # 3. Hugging Face directory (config.json + model.safetensors), QuickGELU, text width 128 with 2 heads
    model = build("fixture-hf", 7, True)
    hf_dir = os.path.join(FIXTURES, "tiny-hf")
    os.makedirs(hf_dir, exist_ok=True)
    write_safetensors(os.path.join(hf_dir, "model.safetensors"), hf_state(model.state_dict(), "fixture-hf"),
                      {"format": "pt"})
    with open(os.path.join(hf_dir, "config.json"), "w") as f:
        json.dump(hf_config("fixture-hf", "quick_gelu", 2), f, indent=2)
    rec = golden_record(model, tiny_imgs, tiny_px, TINY_IDS)
    rec.update({"file": "tiny-hf", "activation": "quick_gelu"})
    with open(os.path.join(FIXTURES, "tiny-hf.json"), "w") as f:
        json.dump(rec, f)
    print("done")


if __name__ == "__main__":
    sys.exit(main())
