# Trains the built-in emoji model (flow matching, caption dropout for true CFG) and exports weights the engine
# loads unchanged. Runs on the GPU machine (or slowly on CPU); reads only the dataset folder and model.json,
# writes only under --out.
#
#   python training/train.py --data training/data --config models/builtin/model.json --out $OUT --minutes 18
#
# One device command may run 10 minutes at most, so a long run goes in phases: --lr-decay-tail 0 for the first,
# then --resume <the first phase's output> for the next (weights and EMA carry over; AdamW restarts with a short warmup).

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

import model as M
from files import load_dataset, load_safetensors, save_png, save_safetensors


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="training/data")
    p.add_argument("--config", default="models/builtin/model.json")
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=18.0, help="training wall-time budget (export and samples come after)")
    p.add_argument("--max-steps", type=int, default=10**9)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--ema", type=float, default=0.9995)
    p.add_argument("--caption-dropout", type=float, default=0.1)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-minutes", type=float, default=4.0)
    p.add_argument("--lr-decay-tail", type=float, default=0.25, help="fraction of --minutes at the end over which the LR decays; 0 for none")
    p.add_argument("--no-preview", action="store_true", help="skip the sample grid (slow on CPU)")
    p.add_argument("--resume", help="folder of an earlier phase's output (train_*.safetensors, EMA weights, summary.json)")
    return p.parse_args()


def export(out, transformer, encoder, meta, prefix=""):
    """EMA weights as the engine loads them (prefix ""), or the raw training weights for a later phase ("train_")."""
    out.mkdir(parents=True, exist_ok=True)
    info = {"trainedOn": "emoji art: " + ", ".join(f"{s['pkg']}@{s['version']}" for s in meta["sets"]), **meta["run"]}
    save_safetensors(out / f"{prefix}transformer.safetensors", {k: v.float() for k, v in transformer.state_dict().items()}, info)
    save_safetensors(out / f"{prefix}text_encoder.safetensors", {k: v.float() for k, v in encoder.state_dict().items()}, info)


@torch.no_grad()
def sample(transformer, encoder, ids, empty, size, patch, steps=30, guidance=4.0, seed=0):
    """The engine's sampler: Euler from t=1 to 0 on linspace, true CFG against the empty prompt."""
    device = ids.device
    b = ids.shape[0]
    all_ids = torch.cat([ids, empty[None].expand(b, -1)])
    context, pooled = encoder(all_ids, (all_ids != 0).sum(-1))
    g = torch.Generator(device="cpu").manual_seed(seed)
    x = M.pack(torch.randn(b, 3, size, size, generator=g).to(device), patch)
    rows = cols = size // patch
    ts = torch.linspace(1, 0, steps + 1).tolist()
    for t, t_next in zip(ts[:-1], ts[1:]):
        v = transformer(torch.cat([x, x]), rows, cols, torch.full((2 * b,), t, device=device), context, pooled)
        pos, neg = v[:b], v[b:]
        x = x + (neg + guidance * (pos - neg)) * (t_next - t)
    images = M.unpack(x, patch, size, size)
    return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def grid(images, columns):
    n, h, w, c = images.shape
    rows = math.ceil(n / columns)
    out = np.full((rows * h, columns * w, c), 255, dtype=np.uint8)
    for i, img in enumerate(images):
        out[(i // columns) * h : (i // columns + 1) * h, (i % columns) * w : (i % columns + 1) * w] = img
    return out


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # Plain float32 matmuls would make parity checks compare against TF32 rounding; training itself runs in bf16.
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True

    manifest = json.loads(Path(args.config).read_text())
    patch, size = manifest["image"]["patchSize"], manifest["defaults"]["width"]
    images_np, ids_np, meta = load_dataset(args.data)
    if images_np.shape[1] != size:
        raise ValueError(f"The dataset is {images_np.shape[1]} px but model.json's default size is {size}: rebuild one of them.")
    vocab = json.loads((Path(args.data) / "vocab.json").read_text())
    images = torch.from_numpy(images_np).to(device)  # uint8 [N, H, W, 3] stays on the GPU: 40 MB
    ids = torch.from_numpy(ids_np).to(device)
    empty = torch.tensor(meta["emptyCaption"], device=device)
    n_items, n_caps = ids.shape[0], ids.shape[1]

    transformer = M.FluxTransformer(manifest["transformer"]).to(device)
    encoder = M.WordEncoder(manifest["textEncoder"], len(vocab)).to(device)
    M.init_weights(transformer, encoder)
    params = list(transformer.parameters()) + list(encoder.parameters())
    n_params = sum(p.numel() for p in params)
    ema_t = M.FluxTransformer(manifest["transformer"]).to(device)
    ema_e = M.WordEncoder(manifest["textEncoder"], len(vocab)).to(device)
    step0, seconds0 = 0, 0.0
    if args.resume:
        r = Path(args.resume)
        transformer.load_state_dict(load_safetensors(r / "train_transformer.safetensors")[0])
        encoder.load_state_dict(load_safetensors(r / "train_text_encoder.safetensors")[0])
        previous = json.loads((r / "summary.json").read_text())
        step0, seconds0 = previous["steps"], previous["trainSeconds"]
    ema_t.load_state_dict(transformer.state_dict())
    ema_e.load_state_dict(encoder.state_dict())
    if args.resume:
        ema_t.load_state_dict(load_safetensors(r / "transformer.safetensors")[0])
        ema_e.load_state_dict(load_safetensors(r / "text_encoder.safetensors")[0])
    ema_params = list(ema_t.parameters()) + list(ema_e.parameters())
    for p in ema_params:
        p.requires_grad_(False)

    decay, no_decay = [], []
    for name, p in list(transformer.named_parameters()) + list(encoder.named_parameters()):
        (no_decay if p.ndim < 2 or "embedding" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99), **({"fused": True} if device.type == "cuda" else {}))

    def loss_fn(x0_tokens, cap_ids, t, noise):
        context, pooled = encoder(cap_ids, (cap_ids != 0).sum(-1))
        xt = (1 - t)[:, None, None] * x0_tokens + t[:, None, None] * noise
        v = transformer(xt, size // patch, size // patch, t, context, pooled)
        return torch.mean((v.float() - (noise - x0_tokens)) ** 2)

    step_fn = torch.compile(loss_fn) if args.compile else loss_fn
    use_amp = device.type == "cuda"
    meta["run"] = {"batch": args.batch, "lr": args.lr, "ema": args.ema, "captionDropout": args.caption_dropout, "params": n_params}
    print(f"device {device}, {n_items} images, {len(vocab)} words, {n_params / 1e6:.2f} M parameters", flush=True)

    log = open(out / "loss.csv", "w")
    log.write("step,seconds,loss,lr\n")
    tail = args.lr_decay_tail
    started = time.time()
    last_ckpt = started
    budget = args.minutes * 60
    step, running = 0, []
    while step < args.max_steps:
        elapsed = time.time() - started
        frac = elapsed / budget
        if frac >= 1:
            break
        # Linear warmup, flat, then linear decay over the last `tail` of the time budget.
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (min(1.0, max(0.02, (1 - frac) / tail)) if tail > 0 else 1.0)
        for group in opt.param_groups:
            group["lr"] = lr

        idx = torch.randint(0, n_items, (args.batch,), device=device)
        cap = torch.randint(0, n_caps, (args.batch,), device=device)
        cap_ids = ids[idx, cap]
        drop = torch.rand(args.batch, device=device) < args.caption_dropout
        cap_ids = torch.where(drop[:, None], empty[None], cap_ids)
        x0 = images[idx].permute(0, 3, 1, 2).float() / 127.5 - 1
        x0_tokens = M.pack(x0, patch)
        t = torch.sigmoid(torch.randn(args.batch, device=device))  # logit-normal (SD3)
        noise = torch.randn_like(x0_tokens)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = step_fn(x0_tokens, cap_ids, t, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            d = min(args.ema, (1 + step0 + step) / (10 + step0 + step))
            torch._foreach_mul_(ema_params, d)
            torch._foreach_add_(ema_params, params, alpha=1 - d)
        running.append(loss.detach())
        step += 1
        if step % 100 == 0:
            mean = torch.stack(running).mean().item()
            running = []
            log.write(f"{step0 + step},{seconds0 + time.time() - started:.1f},{mean:.5f},{lr:.6f}\n")
            log.flush()
            if step % 1000 == 0:
                print(f"step {step0 + step}  {seconds0 + time.time() - started:6.0f}s  loss {mean:.4f}  lr {lr:.2e}", flush=True)
        if time.time() - last_ckpt > args.checkpoint_minutes * 60:
            meta["run"].update({"steps": step0 + step, "trainSeconds": round(seconds0 + time.time() - started)})
            export(out, ema_t, ema_e, meta)
            export(out, transformer, encoder, meta, prefix="train_")
            (out / "summary.json").write_text(json.dumps(meta["run"], indent=2))
            last_ckpt = time.time()

    train_seconds = time.time() - started
    meta["run"].update({"steps": step0 + step, "trainSeconds": round(seconds0 + train_seconds)})
    export(out, ema_t, ema_e, meta)
    export(out, transformer, encoder, meta, prefix="train_")
    print(f"trained {step} steps in {train_seconds:.0f}s; exported EMA weights to {out}", flush=True)

    if args.no_preview:
        (out / "summary.json").write_text(json.dumps(meta["run"], indent=2))
        return
    # A preview grid from the EMA weights with the engine's sampler: rows are prompts, columns seeds.
    ema_t.eval()
    ema_e.eval()
    picks = [i for i, item in enumerate(meta["items"]) if item["name"] in ("red heart", "grinning face", "thumbs up", "fire", "cat face", "pizza", "rocket", "sun")]
    rows = []
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
        for i in picks:
            name_only = ids[i, 1][None].expand(4, -1)  # captions[1] is the bare name, as a user would type it
            rows.append(sample(ema_t, ema_e, name_only, empty, size, patch, seed=i))
    save_png(out / "samples.png", grid(np.concatenate(rows), 4))
    (out / "summary.json").write_text(json.dumps({**meta["run"], "finalLoss": mean if step >= 100 else None}, indent=2))
    print("samples:", ", ".join(meta["items"][i]["name"] + " (" + meta["items"][i]["set"] + ")" for i in picks), flush=True)


if __name__ == "__main__":
    main()
