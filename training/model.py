# The built-in model in PyTorch, mirroring the engine (main/engine/models/) op for op and name for name so that
# state_dict() exports load there unchanged. Model code only: no data, no training loop, no file I/O.
#
# Engine counterparts: flux/transformer.ts, flux/rope.ts, flux/config.ts (FluxTransformer), text/word-encoder.ts
# (WordEncoder), layers.ts (geluTanh, modulation, LayerNorm/RMSNorm eps), packing.ts (pack/unpack).

import math

import torch
import torch.nn.functional as F
from torch import nn

TIME_EMBED_DIM = 256
TIME_FACTOR = 1000.0
RMS_EPS = 1e-6
FLUX_LN_EPS = 1e-6
TEXT_LN_EPS = 1e-5
MASKED = -1e9

# Fused attention kernels on the GPU; the plain formula elsewhere (older PyTorch has no SDPA) and for parity fixtures.
_sdpa = getattr(F, "scaled_dot_product_attention", None)
USE_SDPA = True


def attention(q, k, v, scale, mask=None):
    """q, k, v: [B, H, L, D]; mask: additive, broadcastable to [B, H, L, L]."""
    if USE_SDPA and _sdpa is not None and abs(scale - q.shape[-1] ** -0.5) < 1e-12:
        return _sdpa(q, k, v, attn_mask=None if mask is None else mask.to(q.dtype))
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    return torch.matmul(torch.softmax(scores.float(), dim=-1).to(v.dtype), v)


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def split_heads(x, heads):
    b, l, w = x.shape
    return x.reshape(b, l, heads, w // heads).transpose(1, 2)


def merge_heads(x):
    b, h, l, d = x.shape
    return x.transpose(1, 2).reshape(b, l, h * d)


def layer_norm_no_affine(x):
    return F.layer_norm(x, (x.shape[-1],), eps=FLUX_LN_EPS)


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


def timestep_embedding(t, dim=TIME_EMBED_DIM, max_period=10000.0):
    """FLUX's sinusoidal embedding of t·1000, cos half first. t: [B] in [0, 1]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64, device=t.device) / half)
    args = (t.double() * TIME_FACTOR)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1).float()


def pack(images, patch):
    """[B, C, H, W] → [B, (H/p)(W/p), C·p·p], as packing.ts."""
    b, c, h, w = images.shape
    x = images.reshape(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, (h // patch) * (w // patch), c * patch * patch)


def unpack(tokens, patch, height, width):
    b, _, cp = tokens.shape
    c = cp // (patch * patch)
    x = tokens.reshape(b, height // patch, width // patch, c, patch, patch)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(b, c, height, width)


def position_ids(text_length, rows, cols):
    """Text tokens at [0, 0, 0], image tokens at [0, row, col], as rope.ts."""
    text = [[0, 0, 0]] * text_length
    image = [[0, r, c] for r in range(rows) for c in range(cols)]
    return torch.tensor(text + image, dtype=torch.float64)


def rotary_tables(ids, axes_dim, theta):
    """cos/sin tables [1, 1, L, D] for interleaved pairs, axes' bands concatenated in order (BFL `rope`)."""
    cos_parts, sin_parts = [], []
    for axis, dim in enumerate(axes_dim):
        omega = theta ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        angle = ids[:, axis : axis + 1] * omega[None]
        c, s = torch.cos(angle), torch.sin(angle)
        cos_parts.append(torch.stack([c, c], dim=-1).reshape(len(ids), dim))
        sin_parts.append(torch.stack([-s, s], dim=-1).reshape(len(ids), dim))
    cos = torch.cat(cos_parts, dim=-1).float()[None, None]
    sin = torch.cat(sin_parts, dim=-1).float()[None, None]
    return cos, sin


def apply_rotary(x, cos, sin):
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    swapped = pairs.flip(-1).reshape(x.shape)
    return x * cos + swapped * sin


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + RMS_EPS)).to(x.dtype) * self.scale.to(x.dtype)


class QKNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.query_norm = RMSNorm(dim)
        self.key_norm = RMSNorm(dim)


class MLPEmbedder(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.in_layer = nn.Linear(in_dim, hidden)
        self.out_layer = nn.Linear(hidden, hidden)

    def forward(self, x):
        return self.out_layer(F.silu(self.in_layer(x)))


class Modulation(nn.Module):
    def __init__(self, hidden, chunks):
        super().__init__()
        self.chunks = chunks
        self.lin = nn.Linear(hidden, chunks * hidden)

    def forward(self, vec):
        return self.lin(F.silu(vec))[:, None, :].chunk(self.chunks, dim=-1)


class SelfAttentionParams(nn.Module):
    """`{img,txt}_attn.{qkv,norm,proj}`: the weights only; the joint attention lives in the block."""

    def __init__(self, hidden, head_dim, qkv_bias):
        super().__init__()
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=qkv_bias)
        self.norm = QKNorm(head_dim)
        self.proj = nn.Linear(hidden, hidden)


def mlp(hidden, inner):
    return nn.Sequential(nn.Linear(hidden, inner), nn.GELU(approximate="tanh"), nn.Linear(inner, hidden))


class DoubleBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, heads = cfg["hiddenSize"], cfg["numHeads"]
        inner = round(h * cfg["mlpRatio"])
        self.heads = heads
        self.img_mod = Modulation(h, 6)
        self.img_attn = SelfAttentionParams(h, h // heads, cfg["qkvBias"])
        self.img_mlp = mlp(h, inner)
        self.txt_mod = Modulation(h, 6)
        self.txt_attn = SelfAttentionParams(h, h // heads, cfg["qkvBias"])
        self.txt_mlp = mlp(h, inner)

    def _qkv(self, attn, x):
        q, k, v = attn.qkv(x).chunk(3, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        return attn.norm.query_norm(q), attn.norm.key_norm(k), v

    def forward(self, img, txt, vec, cos, sin):
        img_mod = self.img_mod(vec)
        txt_mod = self.txt_mod(vec)
        iq, ik, iv = self._qkv(self.img_attn, modulate(layer_norm_no_affine(img), img_mod[0], img_mod[1]))
        tq, tk, tv = self._qkv(self.txt_attn, modulate(layer_norm_no_affine(txt), txt_mod[0], txt_mod[1]))
        q = apply_rotary(torch.cat([tq, iq], dim=2), cos, sin)
        k = apply_rotary(torch.cat([tk, ik], dim=2), cos, sin)
        v = torch.cat([tv, iv], dim=2)
        out = merge_heads(attention(q, k, v, q.shape[-1] ** -0.5))
        txt_attn, img_attn = out[:, : txt.shape[1]], out[:, txt.shape[1] :]

        def update(x, a, attn, mlp_, mod):
            x = x + mod[2] * attn.proj(a)
            return x + mod[5] * mlp_(modulate(layer_norm_no_affine(x), mod[3], mod[4]))

        return update(img, img_attn, self.img_attn, self.img_mlp, img_mod), update(txt, txt_attn, self.txt_attn, self.txt_mlp, txt_mod)


class SingleBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, heads = cfg["hiddenSize"], cfg["numHeads"]
        self.hidden, self.heads = h, heads
        inner = round(h * cfg["mlpRatio"])
        self.linear1 = nn.Linear(h, 3 * h + inner)
        self.linear2 = nn.Linear(h + inner, h)
        self.norm = QKNorm(h // heads)
        self.modulation = Modulation(h, 3)

    def forward(self, x, vec, cos, sin):
        shift, scale, gate = self.modulation(vec)
        fused = self.linear1(modulate(layer_norm_no_affine(x), shift, scale))
        qkv, mlp_part = fused[..., : 3 * self.hidden], fused[..., 3 * self.hidden :]
        q, k, v = (split_heads(t, self.heads) for t in qkv.chunk(3, dim=-1))
        q = apply_rotary(self.norm.query_norm(q), cos, sin)
        k = apply_rotary(self.norm.key_norm(k), cos, sin)
        attn = merge_heads(attention(q, k, v, q.shape[-1] ** -0.5))
        return x + gate * self.linear2(torch.cat([attn, gelu_tanh(mlp_part)], dim=-1))


class LastLayer(nn.Module):
    def __init__(self, hidden, out_channels):
        super().__init__()
        self.linear = nn.Linear(hidden, out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden))

    def forward(self, x, vec):
        shift, scale = self.adaLN_modulation(vec)[:, None, :].chunk(2, dim=-1)
        return self.linear(modulate(layer_norm_no_affine(x), shift, scale))


class FluxTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if cfg["guidanceEmbed"]:
            raise ValueError("The built-in model is trained for true CFG: set transformer.guidanceEmbed to false.")
        h = cfg["hiddenSize"]
        self.cfg = cfg
        self.img_in = nn.Linear(cfg["inChannels"], h)
        self.txt_in = nn.Linear(cfg["contextInDim"], h)
        self.time_in = MLPEmbedder(TIME_EMBED_DIM, h)
        self.vector_in = MLPEmbedder(cfg["vecInDim"], h)
        self.double_blocks = nn.ModuleList([DoubleBlock(cfg) for _ in range(cfg["depth"])])
        self.single_blocks = nn.ModuleList([SingleBlock(cfg) for _ in range(cfg["depthSingle"])])
        self.final_layer = LastLayer(h, cfg["inChannels"])
        self._rotary = {}

    def rotary(self, text_length, rows, cols, device):
        key = (text_length, rows, cols, str(device))
        if key not in self._rotary:
            ids = position_ids(text_length, rows, cols)
            self._rotary[key] = tuple(t.to(device) for t in rotary_tables(ids, self.cfg["axesDim"], self.cfg["theta"]))
        return self._rotary[key]

    def forward(self, x, rows, cols, t, context, pooled):
        """x: [B, rows·cols, inChannels]; t: [B] flow time in [0, 1]; returns the velocity."""
        vec = self.time_in(timestep_embedding(t).to(x.dtype)) + self.vector_in(pooled)
        img, txt = self.img_in(x), self.txt_in(context)
        cos, sin = self.rotary(txt.shape[1], rows, cols, x.device)
        for block in self.double_blocks:
            img, txt = block(img, txt, vec, cos, sin)
        joint = torch.cat([txt, img], dim=1)
        for block in self.single_blocks:
            joint = block(joint, vec, cos, sin)
        return self.final_layer(joint[:, txt.shape[1] :], vec)


class EncoderAttention(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)


class EncoderLayer(nn.Module):
    def __init__(self, width, inner):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=TEXT_LN_EPS)
        self.attn = EncoderAttention(width)
        self.norm2 = nn.LayerNorm(width, eps=TEXT_LN_EPS)
        self.mlp = mlp(width, inner)


class WordEncoder(nn.Module):
    def __init__(self, cfg, vocab_size):
        super().__init__()
        w = cfg["width"]
        self.cfg = cfg
        self.token_embedding = nn.Embedding(vocab_size, w)
        self.position_embedding = nn.Embedding(cfg["maxTokens"], w)
        self.layers = nn.ModuleList([EncoderLayer(w, round(w * cfg["mlpRatio"])) for _ in range(cfg["depth"])])
        self.final_norm = nn.LayerNorm(w, eps=TEXT_LN_EPS)
        self.pooled_proj = nn.Linear(w, cfg["pooledDim"])

    def forward(self, ids, length):
        """ids: [B, maxTokens] (padded); length: [B] real tokens, <bos> included. Returns (context, pooled)."""
        heads = self.cfg["numHeads"]
        positions = torch.arange(ids.shape[1], device=ids.device)
        valid = (positions[None, :] < length[:, None]).float()
        mask = ((1 - valid) * MASKED)[:, None, None, :]
        h = self.token_embedding(ids) + self.position_embedding.weight[None]
        for layer in self.layers:
            q, k, v = (split_heads(t, heads) for t in layer.attn.qkv(layer.norm1(h)).chunk(3, dim=-1))
            h = h + layer.attn.proj(merge_heads(attention(q, k, v, (self.cfg["width"] // heads) ** -0.5, mask)))
            h = h + layer.mlp(layer.norm2(h))
        context = self.final_norm(h)
        weights = valid[..., None].to(context.dtype)
        mean = (context * weights).sum(1) / weights.sum(1)
        return context, self.pooled_proj(mean)


def init_weights(transformer, encoder):
    """Small-normal init with zeroed adaLN gates and output layer (DiT), so training starts from an identity residual."""
    for module in list(transformer.modules()) + list(encoder.modules()):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=module.in_features ** -0.5)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
    for block in transformer.double_blocks:
        for mod in (block.img_mod, block.txt_mod):
            nn.init.zeros_(mod.lin.weight)
            nn.init.zeros_(mod.lin.bias)
    for block in transformer.single_blocks:
        nn.init.zeros_(block.modulation.lin.weight)
        nn.init.zeros_(block.modulation.lin.bias)
    nn.init.zeros_(transformer.final_layer.adaLN_modulation[1].weight)
    nn.init.zeros_(transformer.final_layer.adaLN_modulation[1].bias)
    nn.init.zeros_(transformer.final_layer.linear.weight)
    nn.init.zeros_(transformer.final_layer.linear.bias)
