#!/usr/bin/env python3
"""Writes the seed corpus of the libFuzzer targets into tests/fuzz/corpus/<target>/.

Run from anywhere with wick importable (build/venv/bin/python); the seeds are
committed, so this is only needed to change them. Each seed is a small valid
input, or one just past a limit, so that the fuzzer starts from the formats'
shapes rather than from nothing.
"""
import gzip
import io
import struct
from pathlib import Path

import wick

ROOT = Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def checkpoints():
    def saved(obj):
        buf = io.BytesIO()
        wick.save(obj, buf)
        return buf.getvalue()

    write("checkpoint", "tensor", saved(wick.arange(6, dtype=wick.float32).reshape(2, 3)))
    write("checkpoint", "state_dict", saved({"w": wick.ones(2, 2, requires_grad=True), "b": wick.zeros(0),
                                             "step": 3, "lr": 0.5, "name": "héllo", "none": None}))
    write("checkpoint", "optimizer", saved({"state": {0: {"step": wick.tensor(1.0), "m": wick.ones(3)}},
                                            "param_groups": [{"params": [0], "betas": (0.9, 0.999)}]}))
    write("checkpoint", "dtypes", saved([wick.ones(2, dtype=t) for t in (wick.bool, wick.uint8, wick.int32,
                                                                          wick.int64,
                                                                          wick.float64)]))
    write("checkpoint", "floats", saved([float("nan"), float("inf"), -0.0, 1e-300, True, [[], {}]]))


def idx():
    def idx_bytes(sizes, payload):
        return bytes([0, 0, 8, len(sizes)]) + b"".join(struct.pack(">I", s) for s in sizes) + payload

    labels = idx_bytes([5], bytes(range(5)))
    images = idx_bytes([2, 3, 2], bytes(range(12)))
    write("idx", "labels", labels)
    write("idx", "images", images)
    write("idx", "images.gz", gzip.compress(images, mtime=0))
    write("idx", "two-members.gz", gzip.compress(images[:10], mtime=0) + gzip.compress(images[10:], mtime=0))
    write("idx", "empty", idx_bytes([0, 4], b""))


def text():
    write("text", "ascii", b"%\nA fortune.\n%\nAnother one, longer.\n")
    write("text", "utf8", "héllo wörld — ✓ 𝔸\n".encode())
    write("text", "crlf", b"line one\r\nline two\r\n")


def dlpack():
    # The target's layout: code, bits, lanes(2), device type, device id, ndim, flags, byte offset, shape, strides.
    def seed(code, bits, ndim, flags, offset, shape, strides, device=1):
        wide_shape, wide_strides = flags & 8, flags & 16
        out = struct.pack("<BBHBbbB", code, bits, 1, device, 0, ndim, flags)
        out += struct.pack("<Q", offset) if flags & 4 else struct.pack("<B", offset)
        out += b"".join(struct.pack("<q" if wide_shape else "<b", s) for s in shape)
        out += b"".join(struct.pack("<q" if wide_strides else "<b", s) for s in strides)
        return out

    write("dlpack", "float32-2x3", seed(2, 32, 2, 0, 0, [2, 3], [3, 1]))
    write("dlpack", "compact", seed(2, 64, 3, 2, 8, [2, 1, 2], []))
    write("dlpack", "empty", seed(0, 64, 2, 32, 0, [0, 5], [5, 1]))
    write("dlpack", "wide", seed(1, 8, 2, 8 | 16, 0, [1 << 32, 1 << 32], [1, 1]))
    write("dlpack", "scalar", seed(6, 8, 0, 0, 0, [], []))


if __name__ == "__main__":
    checkpoints()
    idx()
    text()
    dlpack()
