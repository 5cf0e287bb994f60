"""Datasets: the file format, the in-memory dataset, window sampling and rollouts."""
from lawm.data.collect import UniformPolicy, collect, collect_parts
from lawm.data.dataset import Dataset, Episode, label_split
from lawm.data.sampler import WindowSampler

__all__ = ["Dataset", "Episode", "WindowSampler", "UniformPolicy", "collect", "collect_parts", "label_split"]
