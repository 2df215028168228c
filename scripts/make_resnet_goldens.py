#!/usr/bin/env python3
"""Goldens for clip4j's ResNet CLIPs, from a PyTorch fp32 reference of upstream openai/CLIP clip/model.py
(ModifiedResNet, Bottleneck, AttentionPool2d, written out below; docs/forward-pass.md#resnet).

Run from the repository root with Debian's python3-torch, python3-pil and python3-numpy:
    /usr/bin/python3 scripts/make_resnet_goldens.py
Weights come from a seed on both sides (the rule of engine/.../model/SeededWeights.java, mirrored in make_goldens.py),
in upstream's names: convolutions without bias and BatchNorms with random weight, bias, running mean and variance (the
upstream init leaves them trivial, which would hide a folding mistake). Writes engine/src/test/resources/golden/
rn50-seed0-quick_gelu.json (full size) and test-tiny-rn-seed3-gelu.json (width 8, one block per stage, 64 px), and
weights-converter/src/test/resources/fixtures/tiny-rn-*: an OpenAI TorchScript archive with the released fp16 storage
and an open_clip torch.save checkpoint of the same small ResNet (vocabulary 512), each with its goldens.
"""
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import (GOLDEN, PROMPTS, Transformer, convert_weights, law, norm, pad, floats, seeded, to_tensor)  # noqa: E402
from pillow_pipeline import pil_pipeline  # noqa: E402

FIXTURES = "weights-converter/src/test/resources/fixtures"
# name: (layers, width, resolution, text width, text layers, embed dim, vocabulary)
ARCHS = {
    "RN50": ([3, 4, 6, 3], 64, 224, 512, 12, 1024, 49408),
    "RN101": ([3, 4, 23, 3], 64, 224, 512, 12, 512, 49408),
    "RN50x4": ([4, 6, 10, 6], 80, 288, 640, 12, 640, 49408),
    "RN50x16": ([6, 8, 18, 8], 96, 384, 768, 12, 768, 49408),
    "RN50x64": ([3, 15, 36, 10], 128, 448, 1024, 12, 1024, 49408),
    "test-tiny-rn": ([1, 1, 1, 1], 8, 64, 64, 2, 64, 49408),
    "fixture-rn": ([1, 1, 1, 1], 8, 64, 64, 2, 64, 512),
}


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu3 = nn.ReLU(inplace=True)
        self.downsample = None
        self.stride = stride
        if stride > 1 or inplanes != planes * Bottleneck.expansion:
            self.downsample = nn.Sequential(OrderedDict([
                ("-1", nn.AvgPool2d(stride)),
                ("0", nn.Conv2d(inplanes, planes * self.expansion, 1, stride=1, bias=False)),
                ("1", nn.BatchNorm2d(planes * self.expansion))]))

    def forward(self, x):
        identity = x
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.avgpool(out)
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu3(out)


class AttentionPool2d(nn.Module):
    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim=None):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.zeros(spacial_dim ** 2 + 1, embed_dim))
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim or embed_dim)
        self.num_heads = num_heads

    def forward(self, x):
        x = x.flatten(start_dim=2).permute(2, 0, 1)  # NCHW -> (HW)NC
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)  # (HW+1)NC
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        x, _ = F.multi_head_attention_forward(
            query=x[:1], key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.num_heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias, use_separate_proj_weight=True, training=self.training, need_weights=False)
        return x.squeeze(0)


class ModifiedResNet(nn.Module):
    def __init__(self, layers, output_dim, heads, input_resolution=224, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width // 2, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width // 2, width // 2, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(width // 2, width, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.relu3 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(2)
        self._inplanes = width
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
        self.attnpool = AttentionPool2d(input_resolution // 32, width * 32, heads, output_dim)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [Bottleneck(self._inplanes, planes, stride)]
        self._inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self._inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.avgpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        return self.attnpool(x)


class CLIP(nn.Module):
    def __init__(self, arch, quick):
        super().__init__()
        layers, w, r, d, tl, e, vocab = ARCHS[arch]
        self.visual = ModifiedResNet(layers, e, w * 32 // 64, r, w)
        mask = torch.empty(77, 77).fill_(float("-inf")).triu_(1)
        self.transformer = Transformer(d, tl, max(d // 64, 1), quick, mask)
        self.token_embedding = nn.Embedding(vocab, d)
        self.positional_embedding = nn.Parameter(torch.zeros(77, d))
        self.ln_final = nn.LayerNorm(d)
        self.text_projection = nn.Parameter(torch.zeros(d, e))
        self.logit_scale = nn.Parameter(torch.ones([]))

    def encode_image(self, image):
        return self.visual(image.type(self.visual.conv1.weight.dtype))

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


def seeded_state(model, seed):
    """Every tensor of the upstream state dict from the seed (text_projection as ours, [E, D], transposed)."""
    sd = OrderedDict()
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            sd[name] = t
        elif name == "logit_scale":
            sd[name] = torch.tensor(math.log(100.0))
        elif name == "text_projection":
            shape = (t.shape[1], t.shape[0])
            sd[name] = seeded(seed, "text_projection.weight", shape, *law("text_projection.weight", shape)).t().contiguous()
        else:
            shape = tuple(t.shape)
            sd[name] = seeded(seed, name, shape, *law(name, shape))
    return sd


def build(arch, seed, quick):
    m = CLIP(arch, quick)
    m.load_state_dict(seeded_state(m, seed))
    return m.eval()


def golden(arch, seed, quick, images, ids, model=None):
    model = model or build(arch, seed, quick)
    r = ARCHS[arch][2]
    px = torch.stack([to_tensor(pil_pipeline(Image.open(os.path.join(GOLDEN, n)), r)) for n in images])
    with torch.no_grad():
        fi = model.encode_image(px)
        ft = model.encode_text(torch.tensor([pad(i) for i in ids], dtype=torch.long))
    ni, nt = norm(fi), norm(ft)
    logits = model.logit_scale.exp() * ni @ nt.t()
    return {"arch": arch, "seed": seed, "activation": "quick_gelu" if quick else "gelu",
            "images": [{"file": n, "raw": floats(fi[i]), "embedding": floats(ni[i])} for i, n in enumerate(images)],
            "texts": [{"ids": ids[i], "raw": floats(ft[i]), "embedding": floats(nt[i])} for i in range(len(ids))],
            "logits": [floats(row) for row in logits]}


def main():
    torch.manual_seed(0)
    ids = list(PROMPTS.values())
    rec = golden("RN50", 0, True, ["rgb_500x300.png", "rgba_301x200.png", "p_230x190.png"], ids)
    with open(os.path.join(GOLDEN, "rn50-seed0-quick_gelu.json"), "w") as f:
        json.dump(rec, f)
    print("RN50 logits", rec["logits"][0][:3])
    rec = golden("test-tiny-rn", 3, False, ["rgb_500x300.png", "la_90x70.png"], ids[:2])
    with open(os.path.join(GOLDEN, "test-tiny-rn-seed3-gelu.json"), "w") as f:
        json.dump(rec, f)
    print("test-tiny-rn logits", rec["logits"][0])

    # converter fixtures, at 64 px, vocabulary 512, seed 7
    tiny_imgs = ["rgb_500x300.png", "rgba_301x200.png"]
    tiny_ids = [[49406 % 512, 3, 77, 42, 511], [1, 2, 511], [5, 511, 9, 511]]
    # 1. OpenAI TorchScript archive: clip/model.py convert_weights (conv, linear and projection weights and biases in
    # fp16; BatchNorms stay fp32), as OpenAI released RN50.pt
    model = build("fixture-rn", 7, True)
    convert_weights(model)
    torch.jit.save(torch.jit.script(model), os.path.join(FIXTURES, "tiny-rn-openai-fp16.pt"))
    ref = build("fixture-rn", 7, True)
    with torch.no_grad():
        for (k, v), (k2, v2) in zip(model.state_dict().items(), ref.state_dict().items()):
            v2.copy_(v.to(v2.dtype))
    rec = golden("fixture-rn", 7, True, tiny_imgs, tiny_ids, ref)
    rec.update({"file": "tiny-rn-openai-fp16.pt"})
    with open(os.path.join(FIXTURES, "tiny-rn-openai-fp16.json"), "w") as f:
        json.dump(rec, f)
    # 2. open_clip training checkpoint, GELU, {"state_dict": {"module." + name: tensor}}, fp32
    model = build("fixture-rn", 7, False)
    sd = OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
    torch.save({"epoch": 1, "name": "tiny-rn", "state_dict": sd}, os.path.join(FIXTURES, "tiny-rn-openclip-gelu.pt"))
    rec = golden("fixture-rn", 7, False, tiny_imgs, tiny_ids, model)
    rec.update({"file": "tiny-rn-openclip-gelu.pt"})
    with open(os.path.join(FIXTURES, "tiny-rn-openclip-gelu.json"), "w") as f:
        json.dump(rec, f)
    print("fixtures written")


if __name__ == "__main__":
    sys.exit(main())
