"""Deterministic benchmark workloads, written fast.

``write_scalar_file`` produces byte for byte what tensorboardX's and PyTorch's
``add_scalar`` write (an ``Event`` with ``wall_time``, ``step`` and one
``simple_value``), but encodes whole columns at once with NumPy, so a 5 GB log
directory takes seconds, not hours, to make. ``tests`` check its output
against tensorboardX's decoding via tbparse.
"""

from __future__ import annotations

import itertools
import os
import struct
import sys

import google_crc32c
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

_POLY = 0x82F63B78
_MASK_DELTA = np.uint32(0xA282EAD8)


def _crc_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CRC32C tables for slicing-by-4 with 16-bit indices (two look-ups per 4-byte word)."""
    t0 = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        t0[i] = crc
    t1 = (t0 >> np.uint32(8)) ^ t0[t0 & np.uint32(0xFF)]
    t2 = (t1 >> np.uint32(8)) ^ t0[t1 & np.uint32(0xFF)]
    t3 = (t2 >> np.uint32(8)) ^ t0[t2 & np.uint32(0xFF)]
    low16 = np.arange(1 << 16, dtype=np.uint32)
    return t0, t3[low16 & 0xFF] ^ t2[low16 >> 8], t1[low16 & 0xFF] ^ t0[low16 >> 8]


_T0, _TA, _TB = _crc_tables()


def crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """CRC32C of each row of a (n, m) uint8 matrix: the generator frames millions of records at once."""
    n, m = rows.shape
    crc = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    words = m // 4
    if words:
        packed = np.ascontiguousarray(rows[:, : words * 4]).view("<u4")
        for j in range(words):
            w = crc ^ packed[:, j]
            crc = _TA[w & 0xFFFF] ^ _TB[w >> 16]
    for j in range(words * 4, m):
        crc = _T0[(crc ^ rows[:, j]) & 0xFF] ^ (crc >> 8)
    return crc ^ np.uint32(0xFFFFFFFF)


def masked(crc: np.ndarray) -> np.ndarray:
    return (((crc >> np.uint32(15)) | (crc << np.uint32(17))) + _MASK_DELTA).astype(np.uint32)


def frame(data: bytes) -> bytes:
    """``data`` as one TFRecord: length, its masked CRC32C, data, its masked CRC32C."""
    length = struct.pack("<Q", len(data))

    def crc(part: bytes) -> bytes:
        value = google_crc32c.value(part)
        return struct.pack("<I", ((((value >> 15) | (value << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF)

    return length + crc(length) + data + crc(data)


FILE_VERSION = bytes.fromhex("09") + np.float64(1.7e9).tobytes() + b"\x1a\x0dbrain.Event:2"


def _varint_columns(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Varint bytes of equal-length values, as an (n, k) matrix (all values must need k bytes)."""
    k = max(1, int(np.ceil(int(values.max()).bit_length() / 7)))
    out = np.zeros((values.size, k), dtype=np.uint8)
    rest = values.astype(np.uint64)
    for j in range(k):
        out[:, j] = (rest & np.uint64(0x7F)).astype(np.uint8) | (0x80 if j < k - 1 else 0)
        rest >>= np.uint64(7)
    return out, k


def encode_scalars(tag: str, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Framed records (uint8 matrix rows) for one tag; all steps must have the same varint length."""
    tag_bytes = tag.encode()
    step_bytes, k = _varint_columns(steps)
    value_part = bytes([0x0A, len(tag_bytes)]) + tag_bytes + b"\x15"
    summary_value_len = len(value_part) + 4
    summary = bytes([0x0A, summary_value_len])
    body_len = 1 + 8 + 1 + k + 2 + len(summary) + summary_value_len
    n = steps.size
    data = np.zeros((n, body_len), dtype=np.uint8)
    data[:, 0] = 0x09
    data[:, 1:9] = walls.astype("<f8").view(np.uint8).reshape(n, 8)
    data[:, 9] = 0x10
    data[:, 10 : 10 + k] = step_bytes
    q = 10 + k
    data[:, q] = 0x2A
    data[:, q + 1] = len(summary) + summary_value_len
    data[:, q + 2 : q + 4] = np.frombuffer(summary, dtype=np.uint8)
    data[:, q + 4 : q + 4 + len(value_part)] = np.frombuffer(value_part, dtype=np.uint8)
    data[:, body_len - 4 :] = values.astype("<f4").view(np.uint8).reshape(n, 4)
    header = np.zeros((n, 12), dtype=np.uint8)
    header[:, :8] = np.frombuffer(np.uint64(body_len).tobytes(), dtype=np.uint8)
    header[:, 8:12] = np.frombuffer(masked(crc32c_rows(header[:1, :8])).astype("<u4").tobytes(), dtype=np.uint8)
    footer = masked(crc32c_rows(data)).astype("<u4").view(np.uint8).reshape(n, 4)
    return np.hstack((header, data, footer))


def write_scalar_file(path: str, tags: list[str], steps: int, seed: int = 0, start_step: int = 1) -> int:
    """One event file: every tag at every step, interleaved by step like a training loop; returns bytes."""
    rng = np.random.default_rng(seed)
    all_steps = np.arange(start_step, start_step + steps, dtype=np.int64)
    walls = 1.7e9 + all_steps * 0.05
    base = 2.0 * np.exp(-all_steps / max(steps / 5, 1))
    with open(path, "wb") as handle:
        handle.write(frame(FILE_VERSION))
        written = 0
        # Group steps by varint length so each block encodes with one layout.
        bounds = [0] + [int(np.searchsorted(all_steps, 1 << (7 * j))) for j in range(1, 10)] + [steps]
        for lo, hi in itertools.pairwise(bounds):
            if hi <= lo:
                continue
            blocks = [
                encode_scalars(
                    tag,
                    all_steps[lo:hi],
                    walls[lo:hi],
                    base[lo:hi] * (1 + 0.01 * rng.standard_normal(hi - lo)) * (1 + t * 0.1),
                )
                for t, tag in enumerate(tags)
            ]
            width = blocks[0].shape[1]
            if any(b.shape[1] != width for b in blocks):
                raise ValueError("tag names must have equal lengths (one record layout per step block)")
            for i in range(0, hi - lo, 4096):
                chunk = np.stack([b[i : i + 4096] for b in blocks], axis=1).reshape(-1, width).tobytes()
                handle.write(chunk)
                written += len(chunk)
    return written


def make_logdir(root: str, runs: int, steps: int, tags: int) -> str:
    """``runs`` run folders, each one file of ``tags`` x ``steps`` scalars (kept between benchmark runs)."""
    marker = os.path.join(root, f".complete-{runs}-{steps}-{tags}")
    if os.path.exists(marker):
        return root
    os.makedirs(root, exist_ok=True)
    names = ["train/loss", "valid/loss"] + [f"metric/m{i:02d}" for i in range(tags - 2)]  # equal lengths
    for r in range(runs):
        folder = os.path.join(root, f"run-{r:03d}")
        os.makedirs(folder, exist_ok=True)
        write_scalar_file(os.path.join(folder, f"events.out.tfevents.{1700000000 + r}.bench.1.0"), names, steps, seed=r)
    open(marker, "w").close()
    return root
