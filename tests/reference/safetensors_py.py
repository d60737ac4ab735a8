"""tests/reference/safetensors_py.py — a small, independent safetensors reader/writer in plain Python + torch.

The reference side of bertforge's tests: the Python BERT reference (bert_reference.py) loads and saves model
folders with it, so files written by bertforge's C++ code are read by code that shares nothing with it.
Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, optional
"__metadata__"}, then the raw little-endian bytes of the tensors.
"""
import json
import struct

import torch

DTYPES = {
    "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# The reference writer's order: wider dtypes first, then by name.
RANK = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]


def load(path):
    """Returns (dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = DTYPES[e["dtype"]]
        raw = bytes(data[begin:end])
        if len(raw) == 0:
            t = torch.zeros(e["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(e["shape"]).clone()
        out[name] = t
    return out, meta


def save(path, tensors, metadata=None):
    items = sorted(((name, t.detach().contiguous().cpu()) for name, t in tensors.items()),
                   key=lambda kv: (-RANK.index(NAMES[kv[1].dtype]), kv[0]))
    parts = []
    if metadata:
        parts.append('"__metadata__":' + json.dumps(metadata, separators=(",", ":")))
    offset = 0
    blobs = []
    for name, t in items:
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        parts.append(json.dumps(name) + ':{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}' % (
            NAMES[t.dtype], json.dumps(list(t.shape), separators=(",", ":")), offset, offset + len(b)))
        offset += len(b)
        blobs.append(b)
    header = "{" + ",".join(parts) + "}"
    header += " " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header.encode("utf-8"))
        for b in blobs:
            f.write(b)
