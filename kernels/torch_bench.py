#!/usr/bin/env python3
"""PyTorch eager on the same seeded ViT-B/32 and card as kernels/device-check.sh's clip4j run (issue 5's peer).

The model is scripts/make_goldens.py's reference CLIP with the seed-0 weights clip4j generates bit for bit; it runs
in fp32, fp16 and bf16 (model.to(dtype)), image batches 1, 32 and 256 of seeded pixels, text batch 256 at CLIP's full
77-token context (how PyTorch CLIP runs; clip4j stops at each prompt's EOT). Each image batch is timed twice, like
clip4j's: with the pixels already a CUDA tensor, and from fp32 host memory (the copy to the device and the features
back included). Timing: CUDA events around each call after warm-up, median of repeated calls.
Usage: python3 kernels/torch_bench.py [seconds per measure] [--dry-run]   (--dry-run: test-tiny on the CPU, tiny sizes)
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_goldens import build  # noqa: E402


def timed(fn, seconds, device):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):
        fn()
    sync()
    times, end = [], time.time() + seconds
    while time.time() < end or len(times) < 5:
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dry = "--dry-run" in sys.argv
    seconds = float(args[0]) if args else 5.0
    device = "cpu" if dry else "cuda"
    arch, batches, text_batch, size = ("test-tiny", (1, 3), 3, 32) if dry else ("ViT-B-32", (1, 32, 256), 256, 224)
    torch.manual_seed(0)
    print("device:", torch.cuda.get_device_name(0) if device == "cuda" else "cpu (dry run)", "torch", torch.__version__)
    model = build(arch, 0, True).to(device)
    host_pixels = torch.randn(max(batches), 3, size, size)  # pageable, like the Java heap clip4j copies from
    pixels = host_pixels.to(device)
    ids = torch.randint(1, 49405, (text_batch, 77), device=device)
    ids[:, 0] = 49406
    ids[torch.arange(text_batch), torch.randint(4, 20, (text_batch,))] = 49407
    lines = []
    for name, dtype in (("FP32", torch.float32), ("FP16", torch.float16), ("BF16", torch.bfloat16)):
        if dry and dtype == torch.float16:
            continue  # CPU fp16 convolution is missing in older PyTorch builds; the GPU run covers it
        m = model.to(dtype)
        with torch.inference_mode():
            for b in batches:
                x = pixels[:b].to(dtype)
                s = timed(lambda: m.encode_image(x), seconds, device)
                hx = host_pixels[:b]
                e = timed(lambda: m.encode_image(hx.to(device).to(dtype)).float().cpu(), seconds, device)
                lines.append(f"torch {name} image batch {b}: {b / s:.1f} images/s with the pixels on the device ({s * 1e3:.2f} ms); "
                             f"{b / e:.1f} images/s from fp32 host memory ({e * 1e3:.2f} ms)")
            s = timed(lambda: m.encode_text(ids), seconds, device)
            lines.append(f"torch {name} text batch {text_batch} (77 tokens): {text_batch / s:.1f} prompts/s ({s * 1e3:.2f} ms per batch)")
    print("---- PyTorch eager ----")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
