# Times the built-in model's transformer forward in PyTorch eager for `npm run bench:engine`, which runs it as a
# child and pairs its figures with the engine's. Reads requests on stdin, one JSON object a line:
# {"size": 64, "batch": 2, "repeats": 5}; answers each with {"ms": [...]} on stdout. Same model code
# (model.py), same weights (the model folder), same thread count as the engine's cores.
#
#   python3 training/bench_forward.py --model models/builtin --threads 2

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

import model as M
from files import load_safetensors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/builtin")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    folder = Path(args.model)
    manifest = json.loads((folder / "model.json").read_text())
    cfg, image, text = manifest["transformer"], manifest["image"], manifest["textEncoder"]
    transformer = M.FluxTransformer(cfg)
    transformer.load_state_dict(load_safetensors(folder / "transformer.safetensors")[0])
    transformer.eval()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    generator = torch.Generator().manual_seed(0)
    for line in sys.stdin:
        request = json.loads(line)
        rows = cols = request["size"] // image["patchSize"]
        batch = request["batch"]
        x = torch.randn(batch, rows * cols, cfg["inChannels"], generator=generator)
        context = torch.randn(batch, text["maxTokens"], cfg["contextInDim"], generator=generator)
        pooled = torch.randn(batch, cfg["vecInDim"], generator=generator)
        t = torch.full((batch,), 0.5)
        times = []
        with torch.inference_mode():
            transformer(x, rows, cols, t, context, pooled)
            for _ in range(request["repeats"]):
                start = time.perf_counter()
                transformer(x, rows, cols, t, context, pooled)
                times.append((time.perf_counter() - start) * 1000)
        print(json.dumps({"ms": times}), flush=True)


if __name__ == "__main__":
    main()
