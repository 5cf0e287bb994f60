"""What the dataset file's checksums cost: file size and load time, format version 1 (none) against 2.

Writes the same real dataset (uniform-random walker-walk episodes, 5 % labeled) in both versions and times
``Dataset.load`` (reading, checksum verification and validation) and a bare read of every array with h5py,
alternating the versions, the median of ``--repeats``. The files sit in the page cache, so the times are
the CPU's, not the disk's.
Run: python benchmarks/dataset_checksums.py [--episodes 100] [--repeats 7]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import h5py

from lawm.data import Dataset
from lawm.data.recipes import random_dataset


def read_arrays(path: Path) -> None:
    """Every array of the file, read and (version 2) checksum-verified by HDF5, nothing else."""
    def read(name, node) -> None:  # (visititems stops at the first callback that returns something)
        if isinstance(node, h5py.Dataset):
            node[()]

    with h5py.File(path) as f:
        f.visititems(read)


def load(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the version-1 note
        Dataset.load(path)


def seconds(function, path: Path) -> float:
    start = time.perf_counter()
    function(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    dataset = random_dataset("walker-walk", args.episodes, 0, 0.05, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {version: Path(tmp) / f"v{version}.h5" for version in (1, 2)}
        for version, path in paths.items():
            dataset.save(path, version=version)
            load(path)  # warm: page cache, the task's dimensions
        times = {(version, name): [] for version in paths for name in ("load", "read")}
        for _ in range(args.repeats):
            for version, path in paths.items():
                times[version, "load"].append(seconds(load, path))
                times[version, "read"].append(seconds(read_arrays, path))
        median = {key: statistics.median(values) for key, values in times.items()}
        size = {version: path.stat().st_size for version, path in paths.items()}
    print(f"{args.episodes} walker-walk episodes of 500 steps, {dataset.label_mask.sum()} labeled")
    for version in paths:
        print(f"version {version}: {size[version] / 1e6:.3f} MB, Dataset.load {median[version, 'load'] * 1e3:.1f} ms, "
              f"bare array read {median[version, 'read'] * 1e3:.1f} ms")
    print(f"version 2 / version 1: size {size[2] / size[1]:.4f}x, Dataset.load "
          f"{median[2, 'load'] / median[1, 'load']:.2f}x, bare array read {median[2, 'read'] / median[1, 'read']:.2f}x")


if __name__ == "__main__":
    main()
