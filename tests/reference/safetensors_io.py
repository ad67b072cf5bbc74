"""Minimal safetensors reader/writer (stdlib + torch only).

Format: 8-byte little-endian u64 header length N, then N bytes of JSON header
  {name: {"dtype": "F32"|"F64"|"I64"|"I32"|"U8", "shape": [...],
          "data_offsets": [begin, end]}, "__metadata__": {str: str} (optional)}
then the raw little-endian tensor bytes; data_offsets are relative to the
start of the byte buffer that follows the header.

The writer sorts tensor names, lays the data out contiguously in that order,
and pads the header with spaces to a multiple of 8 bytes.
"""

import json
import struct
import sys

import torch

_DTYPES = {
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "U8": (torch.uint8, 1),
}
_NAMES = {v[0]: k for k, v in _DTYPES.items()}

if sys.byteorder != "little":  # pragma: no cover
    raise RuntimeError("safetensors_io assumes a little-endian host")


def _numel(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _tobytes(t):
    try:
        return t.numpy().tobytes()
    except (RuntimeError, ImportError):  # torch built without numpy
        return bytes(t.reshape(-1).view(torch.uint8).tolist())


def load_bytes(data):
    """Parse a safetensors blob; returns (dict name -> Tensor, metadata dict or None)."""
    if len(data) < 8:
        raise ValueError("safetensors: file too short")
    (hlen,) = struct.unpack("<Q", data[:8])
    if 8 + hlen > len(data):
        raise ValueError("safetensors: header length %d past end of file" % hlen)
    header = json.loads(data[8 : 8 + hlen].decode("utf-8"))
    base = 8 + hlen
    buf_len = len(data) - base
    metadata = header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _DTYPES:
            raise ValueError("safetensors: unsupported dtype %r for %s" % (dt, name))
        tdtype, size = _DTYPES[dt]
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(v) for v in info["data_offsets"])
        if not (0 <= begin <= end <= buf_len):
            raise ValueError("safetensors: bad data_offsets for %s" % name)
        if end - begin != _numel(shape) * size:
            raise ValueError(
                "safetensors: %s has %d bytes, shape %s dtype %s needs %d"
                % (name, end - begin, shape, dt, _numel(shape) * size)
            )
        raw = bytearray(data[base + begin : base + end])
        if len(raw) == 0:
            t = torch.empty(shape, dtype=tdtype)
        else:
            t = torch.frombuffer(raw, dtype=tdtype).reshape(shape).clone()
        out[name] = t
    return out, metadata


def load(path, with_metadata=False):
    """Read a .safetensors file -> dict[str, Tensor] (CPU, contiguous, owning memory).

    With with_metadata=True returns (tensors, metadata) instead.
    """
    with open(path, "rb") as f:
        data = f.read()
    tensors, metadata = load_bytes(data)
    return (tensors, metadata) if with_metadata else tensors


def save_bytes(tensors, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, torch.Tensor):
            t = torch.tensor(t)
        t = t.detach().to("cpu").contiguous()
        if t.dtype not in _NAMES:
            raise ValueError("safetensors: unsupported dtype %s for %s" % (t.dtype, name))
        raw = _tobytes(t) if t.numel() > 0 else b""
        header[name] = {
            "dtype": _NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


def save(tensors, path, metadata=None):
    """Write dict[str, Tensor] to path. Names are sorted; header padded with spaces to 8 bytes."""
    data = save_bytes(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    # self-test: round trip of every dtype, incl. a scalar and an empty tensor
    import os
    import tempfile

    src = {
        "f32": torch.randn(2, 3),
        "f64": torch.tensor(3.5, dtype=torch.float64),
        "i64": torch.tensor([1, -2, 3], dtype=torch.int64),
        "i32": torch.tensor([[7], [-8]], dtype=torch.int32),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "empty": torch.zeros(0, 4),
    }
    fd, p = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    try:
        save(src, p, metadata={"k": "v"})
        back, meta = load(p, with_metadata=True)
        with open(p, "rb") as f:
            (hlen,) = struct.unpack("<Q", f.read(8))
        assert hlen % 8 == 0
        assert meta == {"k": "v"}, meta
        assert set(back) == set(src)
        for k in src:
            assert back[k].dtype == src[k].dtype and back[k].shape == src[k].shape, k
            assert torch.equal(back[k], src[k]), k
        print("safetensors_io self-test ok")
    finally:
        os.remove(p)
