#!/usr/bin/env python3
"""Exports the seeded clip4j model (the same weights as `clip4j init-random`, via scripts/make_goldens.py's mirror of
SeededWeights; ResNets through scripts/make_resnet_goldens.py) to ONNX with Debian's PyTorch, for the ONNX Runtime side-by-side comparison (bench/compare/run.sh).
    /usr/bin/python3 bench/compare/export_onnx.py ARCH SEED OUTDIR
writes OUTDIR/image.onnx (pixels [B,3,R,R] -> features [B,E]) and OUTDIR/text.onnx (ids [B,77] int64 -> features [B,E]),
fp32, opset 14, dynamic batch.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import make_goldens as g  # noqa: E402
import make_resnet_goldens as rn  # noqa: E402


class Image(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m.encode_image(x)


class Text(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids):
        return self.m.encode_text(ids)


def main():
    arch, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    quick = arch.endswith("-quickgelu")
    base = arch[: -len("-quickgelu")] if quick else arch
    os.makedirs(out, exist_ok=True)
    if base in rn.ARCHS:  # a ResNet CLIP (upstream ModifiedResNet with its BatchNorms, as init-random writes it)
        model, r = rn.build(base, seed, quick), rn.ARCHS[base][2]
    else:
        model, r = g.build(base, seed, quick), g.ARCHS[base][3]
    with torch.no_grad():
        torch.onnx.export(Image(model), torch.zeros(1, 3, r, r), os.path.join(out, "image.onnx"), opset_version=14,
                          input_names=["pixels"], output_names=["features"],
                          dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}})
        ids = torch.zeros(1, 77, dtype=torch.long)
        ids[0, :3] = torch.tensor([49406, 320, 49407])
        torch.onnx.export(Text(model), ids, os.path.join(out, "text.onnx"), opset_version=14,
                          input_names=["ids"], output_names=["features"],
                          dynamic_axes={"ids": {0: "batch"}, "features": {0: "batch"}})
    print("wrote", out)


if __name__ == "__main__":
    main()
