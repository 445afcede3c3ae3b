# Reading and writing the few file formats training needs (safetensors, the dataset, PNG) with only the standard
# library, numpy and torch, so the same code runs on the GPU machine and on an old local PyTorch. No model code.

import gzip
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

_DTYPES = {"F32": (torch.float32, np.float32), "F16": (torch.float16, np.float16), "I32": (torch.int32, np.int32)}


def save_safetensors(path, tensors, metadata=None):
    """Writes named tensors in the safetensors layout (8-byte header length, JSON header, raw little-endian data)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        tag = {torch.float32: "F32", torch.float16: "F16", torch.int32: "I32"}[t.dtype]
        data = t.numpy().astype(_DTYPES[tag][1]).tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    """Returns (tensors, metadata)."""
    raw = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    metadata = header.pop("__metadata__", {})
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        array = np.frombuffer(raw[base + start : base + end], dtype=_DTYPES[info["dtype"]][1]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def load_dataset(folder):
    """Images as uint8 [N, H, W, 3], caption token ids as int64 [N, K, maxTokens] (K captions, short lists repeated)."""
    folder = Path(folder)
    meta = json.loads((folder / "captions.json").read_text())
    size, count = meta["size"], meta["count"]
    pixels = np.frombuffer(gzip.decompress((folder / "images.u8.gz").read_bytes()), dtype=np.uint8)
    if pixels.size != count * size * size * 3:
        raise ValueError(f"{folder}/images.u8.gz holds {pixels.size} bytes, expected {count}×{size}×{size}×3: rebuild the dataset.")
    images = pixels.reshape(count, size, size, 3).copy()
    most = max(len(item["ids"]) for item in meta["items"])
    ids = np.zeros((count, most, meta["maxTokens"]), dtype=np.int64)
    for n, item in enumerate(meta["items"]):
        for k in range(most):
            ids[n, k] = item["ids"][k % len(item["ids"])]
    return images, ids, meta


def save_png(path, rgb):
    """rgb: uint8 [H, W, 3]."""
    h, w, _ = rgb.shape
    rows = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)
