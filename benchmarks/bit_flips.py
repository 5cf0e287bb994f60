"""Corrupted dataset files: copies of a valid file with random bit flips, each either refused or proven intact.

Makes a real dataset file (uniform-random walker-walk episodes, half of them labeled), writes ``--copies``
copies of it with ``--flips`` random bits flipped anywhere in the file, and loads each: a copy is refused
(one sentence, printed), or it loads and every array and metadata field is compared with the original's.
A copy that loads with different data is silent corruption, the outcome the checksums exist to prevent.
The same experiment runs on the file written in format version 1 (no checksums) for comparison. As flips
mostly land in array data, a second experiment flips one bit of the metadata alone (every byte outside the
arrays' storage: superblock, object headers with the attributes, indexes, free space) in ``--meta-copies``
copies.
Run: python benchmarks/bit_flips.py [--copies 20] [--flips 8] [--meta-copies 100] [--episodes 8] [--seed 0]
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import warnings
from pathlib import Path

import h5py
import numpy as np

from lawm.data import Dataset
from lawm.data.recipes import random_dataset
from lawm.errors import LawmError


def identical(a: Dataset, b: Dataset) -> bool:
    """Every array and metadata field of two datasets is the same, bit for bit."""
    fields = ("env_id", "recipe", "behaviour_seed", "label_fraction", "label_seed", "behaviour")
    if any(getattr(a, f) != getattr(b, f) for f in fields) or len(a.episodes) != len(b.episodes):
        return False
    arrays = [(a.action_low, b.action_low), (a.action_high, b.action_high), *zip(a.observation_bounds(),
                                                                                 b.observation_bounds())]
    for x, y in zip(a.episodes, b.episodes):
        arrays += [(x.observations, y.observations), (x.rewards, y.rewards), (x.actions, y.actions),
                   (x.true_actions, y.true_actions)]
    return all((u is None and v is None) or (u is not None and v is not None and u.tobytes() == v.tobytes()
                                                and u.shape == v.shape) for u, v in arrays)


def metadata_bytes(path: Path) -> np.ndarray:
    """The offsets of every byte of the file outside its arrays' stored data."""
    data = np.ones(path.stat().st_size, bool)

    def visit(name, node):
        if isinstance(node, h5py.Dataset):
            for i in range(node.id.get_num_chunks() if node.chunks else 1):
                start, size = ((info := node.id.get_chunk_info(i)).byte_offset, info.size) if node.chunks else \
                    (node.id.get_offset(), node.id.get_storage_size())
                data[start:start + size] = False

    with h5py.File(path) as f:
        f.visititems(visit)
    return np.flatnonzero(data)


def flip_bits(data: bytes, flips: int, rng: np.random.Generator, where: np.ndarray | None = None) -> bytes:
    """``data`` with ``flips`` distinct random bits inverted (only in the bytes at offsets ``where``, if given)."""
    corrupted = bytearray(data)
    offsets = np.arange(len(data)) if where is None else where
    for bit in rng.choice(len(offsets) * 8, flips, replace=False):
        corrupted[offsets[bit // 8]] ^= 1 << (bit % 8)
    return bytes(corrupted)


def experiment(path: Path, original: Dataset, copies: int, flips: int, seed: int, where: np.ndarray | None = None,
               show: bool = True) -> collections.Counter:
    """Load ``copies`` bit-flipped copies of ``path``; count refused, intact and silently changed ones."""
    rng, data, tally = np.random.default_rng(seed), path.read_bytes(), collections.Counter()
    for i in range(copies):
        copy = path.with_name(f"flipped{i}.h5")
        copy.write_bytes(flip_bits(data, flips, rng, where))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the version-1 note
                loaded = Dataset.load(copy)
        except LawmError as error:
            outcome, line = "refused", str(error).replace(str(copy), "FILE")
        else:
            outcome = "loaded, identical" if identical(original, loaded) else "LOADED WITH CHANGED DATA"
            line = outcome
        tally[outcome] += 1
        if show or outcome != "refused":
            print(f"  copy {i:2d}: {line[:150]}")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--flips", type=int, default=8)
    parser.add_argument("--meta-copies", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    original = random_dataset("walker-walk", args.episodes, args.seed, 0.5, progress=False)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for version in (1, 2):
            path = Path(tmp) / f"v{version}.h5"
            original.save(path, version=version)
            print(f"format version {version}: {path.stat().st_size} bytes, {args.copies} copies with "
                  f"{args.flips} bit flips each")
            tally = experiment(path, original, args.copies, args.flips, args.seed)
            print(f"format version {version}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items())))
            where = metadata_bytes(path)
            print(f"format version {version}: {len(where)} bytes outside the arrays, {args.meta_copies} copies with "
                  "one bit flipped among them")
            meta = experiment(path, original, args.meta_copies, 1, args.seed + 1, where, show=False)
            print(f"format version {version}, metadata flips: " + ", ".join(f"{n} {outcome}" for outcome, n
                                                                          in sorted(meta.items())))
            failed |= version >= 2 and (tally + meta)["LOADED WITH CHANGED DATA"] > 0
    if failed:
        raise SystemExit("a checksummed file loaded with changed data")


if __name__ == "__main__":
    main()
