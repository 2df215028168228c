#!/usr/bin/env python3
"""PyTorch eager on the same seeded ViT-B/32 and card as kernels/device-check.sh's clip4j run (issue 5's peer).

The model is scripts/make_goldens.py's reference CLIP with the seed-0 weights clip4j generates bit for bit; it runs
in fp32 and in fp16 (model.half()), image batches 1, 32 and 256 of seeded pixels, text batch 256 at CLIP's full
77-token context (how PyTorch CLIP runs; clip4j stops at each prompt's EOT). Timing: CUDA events around each call
after warm-up, median of repeated calls. Usage: python3 kernels/torch_bench.py [seconds per measure]
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_goldens import build  # noqa: E402


def timed(fn, seconds):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times, end = [], time.time() + seconds
    while time.time() < end or len(times) < 5:
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return statistics.median(times)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    torch.manual_seed(0)
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    model = build("ViT-B-32", 0, True).cuda()
    pixels = torch.randn(256, 3, 224, 224, device="cuda")
    ids = torch.randint(1, 49405, (256, 77), device="cuda")
    ids[:, 0] = 49406
    ids[torch.arange(256), torch.randint(4, 20, (256,))] = 49407
    lines = []
    for name, dtype in (("FP32", torch.float32), ("FP16", torch.float16)):
        m = model.to(dtype)
        with torch.inference_mode():
            for b in (1, 32, 256):
                x = pixels[:b].to(dtype)
                s = timed(lambda: m.encode_image(x), seconds)
                lines.append(f"torch {name} image batch {b}: {b / s:.1f} images/s ({s * 1e3:.2f} ms per batch)")
            s = timed(lambda: m.encode_text(ids), seconds)
            lines.append(f"torch {name} text batch 256 (77 tokens): {256 / s:.1f} prompts/s ({s * 1e3:.2f} ms per batch)")
    print("---- PyTorch eager ----")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
