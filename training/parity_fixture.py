# Writes the engine-parity fixture (.safetensors arrays + .json description): fixed inputs (no RNG involved) run through the PyTorch model with the shipped
# weights, on CPU in float32, saved with the outputs for test/main/engine/models/builtin-parity.test.ts to match.
# Reads a model folder; writes only the fixture file.
#
#   python3 training/parity_fixture.py --model models/builtin --out test/fixtures/builtin-parity.safetensors

import argparse
import json
import math
import re
from pathlib import Path

import torch

import model as M
from files import load_safetensors, save_safetensors

PROMPTS = ["red heart", "grinning face, noto style", ""]
TIMESTEP = 0.63


def tokenize(text, vocab, max_tokens):
    """The engine's WordTokenizer for plain ASCII prompts (the test checks the engine agrees)."""
    index = {w: i for i, w in enumerate(vocab)}
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    ids = [index["<bos>"]] + [index.get(w, index["<unk>"]) for w in words]
    ids = ids[:max_tokens]
    return ids + [index["<pad>"]] * (max_tokens - len(ids)), len(ids)


def fixed_input(batch, tokens, channels):
    """Smooth, deterministic values in about [-1.5, 1.5], like a noisy image at mid schedule."""
    b = torch.arange(batch, dtype=torch.float64)[:, None, None]
    n = torch.arange(tokens, dtype=torch.float64)[None, :, None]
    c = torch.arange(channels, dtype=torch.float64)[None, None, :]
    return (torch.sin(0.37 * n + 1.3 * c + 2.1 * b) + 0.5 * torch.cos(0.11 * n * (c % 5 + 1) - b)).float()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/builtin")
    p.add_argument("--out", default="test/fixtures/builtin-parity.safetensors")
    args = p.parse_args()
    folder = Path(args.model)
    manifest = json.loads((folder / "model.json").read_text())
    vocab = json.loads((folder / "vocab.json").read_text())
    M.USE_SDPA = False
    torch.backends.cuda.matmul.allow_tf32 = False

    transformer = M.FluxTransformer(manifest["transformer"])
    encoder = M.WordEncoder(manifest["textEncoder"], len(vocab))
    transformer.load_state_dict(load_safetensors(folder / "transformer.safetensors")[0])
    encoder.load_state_dict(load_safetensors(folder / "text_encoder.safetensors")[0])
    transformer.eval()
    encoder.eval()

    max_tokens = manifest["textEncoder"]["maxTokens"]
    encoded = [tokenize(prompt, vocab, max_tokens) for prompt in PROMPTS]
    ids = torch.tensor([e[0] for e in encoded])
    lengths = torch.tensor([e[1] for e in encoded])
    size, patch = manifest["defaults"]["width"], manifest["image"]["patchSize"]
    rows = cols = size // patch
    x = fixed_input(len(PROMPTS), rows * cols, manifest["transformer"]["inChannels"])
    with torch.no_grad():
        context, pooled = encoder(ids, lengths)
        velocity = transformer(x, rows, cols, torch.full((len(PROMPTS),), TIMESTEP), context, pooled)
    save_safetensors(
        args.out,
        {"ids": ids.int(), "x": x, "context": context, "pooled": pooled, "velocity": velocity},
    )
    # The engine's loader reads arrays only, so what describes them sits beside them.
    described = {"prompts": PROMPTS, "timestep": TIMESTEP, "rows": rows, "cols": cols, "torch": torch.__version__, "device": "cpu", "dtype": "float32"}
    Path(args.out).with_suffix(".json").write_text(json.dumps(described, indent=2) + "\n")
    print(f"wrote {args.out}: velocity |max| {velocity.abs().max():.3f}, context |max| {context.abs().max():.3f}")


if __name__ == "__main__":
    main()
