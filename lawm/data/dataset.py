"""Trajectory datasets: episodes with or without actions, the label mask m(tau) of Eq. (10), and the file.

The file is HDF5 (design section 3): ``episodes/<index>/{observations [T+1, D], rewards [T], actions [T, A]}``
where ``actions`` exists only for labeled episodes, ``diagnostics_true_actions/<index>`` keeps the actions of
unlabeled episodes for diagnostics and oracles only, and the root attributes carry the metadata.

Format version 2 checksums every byte that holds data: each array is one chunk with HDF5's Fletcher32
filter, and the file is written with ``libver="latest"``, whose superblock, object headers (which hold the
attributes, text as fixed-length strings) and indexes carry checksums of their own. Version-1 files (no
checksums) still load, with a warning.

Two root attributes are optional: ``terminated_episodes`` lists the episodes that end in a terminal state (a
hopper that fell) rather than a time-out (absent: none do, as in every DMC dataset), and ``source`` (JSON) says
where imported episodes came from (a Minari dataset's id, environment and reference scores).
"""
from __future__ import annotations

import functools
import hashlib
import json
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import h5py
import numpy as np

from lawm.common.files import atomic_path
from lawm.envs import Env, can_terminate
from lawm.errors import LawmError, LawmWarning

FORMAT = "lawm-dataset"
FORMAT_VERSION = 2  # 2: checksums (Fletcher32 arrays, checksummed metadata); 1: none
READABLE_VERSIONS = (1, 2)
DIAGNOSTICS_GROUP = "diagnostics_true_actions"
_REQUIRED_ATTRS = ("format_version", "env_id", "recipe", "behaviour_seed", "label_fraction", "label_seed",
                   "labeled_episodes", "action_low", "action_high", "observation_low", "observation_high")


@dataclass(frozen=True)
class Episode:
    """One trajectory; ``actions`` is None when it is unlabeled, ``true_actions`` is for diagnostics only."""

    observations: np.ndarray  # [T+1, obs_dim], the last one is the final observation
    rewards: np.ndarray  # [T]
    actions: np.ndarray | None = None  # [T, act_dim] where labeled
    true_actions: np.ndarray | None = None  # [T, act_dim]: never read by training code, only by diagnostics
    terminated: bool = False  # the final observation is a terminal state (not a time-out)

    @property
    def labeled(self) -> bool:
        return self.actions is not None

    @property
    def length(self) -> int:
        return len(self.rewards)

    @property
    def terminals(self) -> np.ndarray:
        """[T] float32: 1.0 at the last step when the episode ends in a terminal state, else 0.0."""
        terminals = np.zeros(self.length, np.float32)
        terminals[-1] = self.terminated
        return terminals

    @property
    def known_actions(self) -> np.ndarray | None:
        """The labels if present, else the diagnostics copy (oracles and diagnostics only)."""
        return self.actions if self.actions is not None else self.true_actions


def label_split(num_episodes: int, fraction: float, seed: int) -> np.ndarray:
    """Which episodes keep their actions: a deterministic mask with round(fraction * n) labeled episodes,
    at least one whenever the fraction is above zero."""
    if not 0.0 <= fraction <= 1.0:
        raise LawmError(f"the label fraction must lie in [0, 1], got {fraction}")
    count = 0 if fraction == 0 else min(num_episodes, max(1, round(fraction * num_episodes)))
    mask = np.zeros(num_episodes, bool)
    mask[np.random.default_rng(seed).permutation(num_episodes)[:count]] = True
    return mask


@functools.lru_cache(maxsize=None)
def _task_dims(env_id: str) -> tuple[int, int]:
    env = Env(env_id)
    return env.observation_dim, env.action_dim


class Dataset:
    """Episodes of one task plus the metadata of how they were made."""

    def __init__(self, env_id: str, episodes: list[Episode], *, action_low, action_high, recipe: str = "",
                 behaviour_seed: int = 0, label_fraction: float = 0.0, label_seed: int = 0,
                 behaviour: dict | None = None, source: dict | None = None):
        if not episodes:
            raise LawmError(f"a {env_id} dataset needs at least one episode")
        self.env_id, self.episodes, self.recipe = env_id, episodes, recipe
        self.action_low = np.asarray(action_low, np.float32)
        self.action_high = np.asarray(action_high, np.float32)
        self.behaviour_seed, self.label_fraction, self.label_seed = behaviour_seed, label_fraction, label_seed
        self.behaviour = behaviour or {}
        self.source = source or {}

    @classmethod
    def from_rollouts(cls, env_id: str, observations: list, rewards: list, actions: list,
                      terminated: list | None = None, *, label_fraction: float, label_seed: int,
                      **metadata) -> Dataset:
        """Split freshly collected, fully labeled episodes into labeled and action-free ones."""
        mask = label_split(len(observations), label_fraction, label_seed)
        terminated = terminated if terminated is not None else [False] * len(observations)
        episodes = [Episode(o, r, a if keep else None, None if keep else a, bool(end))
                    for o, r, a, end, keep in zip(observations, rewards, actions, terminated, mask)]
        return cls(env_id, episodes, label_fraction=label_fraction, label_seed=label_seed, **metadata)

    # -- views ------------------------------------------------------------------------------------------
    @property
    def label_mask(self) -> np.ndarray:
        """m(tau) of Eq. (10), one bool per episode."""
        return np.array([e.labeled for e in self.episodes])

    @property
    def observation_dim(self) -> int:
        return self.episodes[0].observations.shape[1]

    @property
    def action_dim(self) -> int:
        return len(self.action_low)

    @property
    def num_transitions(self) -> int:
        return sum(e.length for e in self.episodes)

    @property
    def terminated_mask(self) -> np.ndarray:
        """Whether each episode ends in a terminal state, one bool per episode."""
        return np.array([e.terminated for e in self.episodes])

    @property
    def reference_scores(self) -> tuple[float, float] | None:
        """(ref_min_score, ref_max_score) of the source dataset, for the D4RL-normalized score, if it has them."""
        low, high = self.source.get("ref_min_score"), self.source.get("ref_max_score")
        return None if low is None or high is None else (float(low), float(high))

    @property
    def returns(self) -> np.ndarray:
        return np.array([e.rewards.sum() for e in self.episodes], np.float64)

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        observations = np.concatenate([e.observations for e in self.episodes])
        return observations.min(0), observations.max(0)

    def _with(self, episodes: list[Episode], **changes) -> Dataset:
        fields = dict(action_low=self.action_low, action_high=self.action_high, recipe=self.recipe,
                      behaviour_seed=self.behaviour_seed, label_fraction=self.label_fraction,
                      label_seed=self.label_seed, behaviour=self.behaviour, source=self.source)
        return Dataset(self.env_id, episodes, **{**fields, **changes})

    def relabel(self, fraction: float, seed: int) -> Dataset:
        """A new label split; needs every episode's actions (labels or the diagnostics copy)."""
        missing = [i for i, e in enumerate(self.episodes) if e.known_actions is None]
        if missing:
            raise LawmError(f"episode {missing[0]} has neither actions nor diagnostic true actions, so the "
                            "dataset cannot be relabeled")
        mask = label_split(len(self.episodes), fraction, seed)
        episodes = [replace(e, actions=e.known_actions if keep else None, true_actions=None if keep else e.known_actions)
                    for e, keep in zip(self.episodes, mask)]
        return self._with(episodes, label_fraction=fraction, label_seed=seed)

    def labeled_only(self) -> Dataset:
        """The labeled episodes alone (what action-conditioned baselines may train on)."""
        episodes = [e for e in self.episodes if e.labeled]
        if not episodes:
            raise LawmError(f"this {self.env_id} dataset has no labeled episodes")
        return self._with(episodes, label_fraction=1.0)

    def oracle(self) -> Dataset:
        """Every episode labeled with its true actions: the oracle baselines' view of the data."""
        return self.relabel(1.0, self.label_seed)

    def content_hash(self) -> str:
        """SHA-256 of the task and every episode's arrays (observations, rewards, actions or their diagnostics
        copy, label): equal for equal data, whichever file or machine it came from."""
        digest = hashlib.sha256(self.env_id.encode())
        for e in self.episodes:
            for array in (e.observations, e.rewards, e.known_actions, np.array([e.labeled])):
                if array is not None:
                    digest.update(np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes())
        return digest.hexdigest()

    def stats(self) -> dict:
        """The columns of the paper's Table 4 for episode returns, plus counts."""
        r = self.returns
        p25, median, p75 = np.percentile(r, [25, 50, 75])
        return dict(mean=float(r.mean()), std=float(r.std()), min=float(r.min()), p25=float(p25),
                    median=float(median), p75=float(p75), max=float(r.max()), episodes=len(self.episodes),
                    labeled=int(self.label_mask.sum()), transitions=self.num_transitions)

    # -- file -------------------------------------------------------------------------------------------
    def save(self, path: str | Path, version: int = FORMAT_VERSION) -> None:
        """Write atomically: a temporary file beside ``path``, renamed into place once complete. ``version=1``
        writes the old format without checksums (to compare the two, and to test that it still loads)."""
        checksums = version >= 2
        with atomic_path(path) as tmp, h5py.File(tmp, "w", libver="latest" if checksums else "earliest") as f:
            self._write(f, version)

    def _write(self, f: h5py.File, version: int) -> None:
        low, high = self.observation_bounds()

        def text(value: str):  # version 2: fixed-length strings, which live in the checksummed object header
            return np.bytes_(value.encode()) if version >= 2 else value

        attrs = dict(format=text(FORMAT), format_version=version, env_id=text(self.env_id), recipe=text(self.recipe),
                     behaviour_seed=self.behaviour_seed, label_fraction=self.label_fraction,
                     label_seed=self.label_seed, labeled_episodes=np.flatnonzero(self.label_mask),
                     action_low=self.action_low, action_high=self.action_high, observation_low=low,
                     observation_high=high, return_stats=text(json.dumps(self.stats())),
                     behaviour=text(json.dumps(self.behaviour)))
        if self.terminated_mask.any():
            attrs["terminated_episodes"] = np.flatnonzero(self.terminated_mask)
        if self.source:
            attrs["source"] = text(json.dumps(self.source))
        f.attrs.update(attrs)

        def array(name: str, value: np.ndarray) -> None:
            value = value.astype(np.float32)
            if version >= 2:
                f.create_dataset(name, data=value, chunks=value.shape, fletcher32=True)
            else:
                f[name] = value

        for i, e in enumerate(self.episodes):
            array(f"episodes/{i:05d}/observations", e.observations)
            array(f"episodes/{i:05d}/rewards", e.rewards)
            if e.actions is not None:
                array(f"episodes/{i:05d}/actions", e.actions)
            if e.true_actions is not None:
                array(f"{DIAGNOSTICS_GROUP}/{i:05d}", e.true_actions)

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        """Read and validate; any defect raises one sentence naming the file, the episode and the field."""
        path = Path(path)
        if not path.is_file():
            raise LawmError(f"dataset file {path} does not exist")
        try:
            with h5py.File(path, "r") as f:
                return _read(path, f)
        except LawmError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
            raise LawmError(f"dataset file {path} is truncated or corrupt ({error})") from None


def _text(value) -> str:
    """A text attribute: fixed-length bytes in version 2, a variable-length string in version 1."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _read(path: Path, f: h5py.File) -> Dataset:
    if _text(f.attrs.get("format", "")) != FORMAT:
        raise LawmError(f"{path} is not a lawm dataset file (its 'format' attribute is not '{FORMAT}')")
    for name in _REQUIRED_ATTRS:
        if name not in f.attrs:
            raise LawmError(f"{path} is missing the metadata field '{name}'")
    version = int(f.attrs["format_version"])
    if version not in READABLE_VERSIONS:
        raise LawmError(f"{path} has format version {version}, but this lawm reads versions "
                        f"{', '.join(map(str, READABLE_VERSIONS))}")
    if version == 1:
        warnings.warn(f"{path} is a version-1 dataset file, which carries no checksums, so corruption in it "
                      "may go unnoticed; saving it again (Dataset.load(path).save(new_path)) adds them", LawmWarning,
                      stacklevel=3)
    env_id = _text(f.attrs["env_id"])
    try:
        obs_dim, act_dim = _task_dims(env_id)
    except LawmError as error:
        raise LawmError(f"{path}: {error}") from None
    check = _Checker(path, obs_dim, act_dim, f.attrs["action_low"], f.attrs["action_high"],
                     f.attrs["observation_low"], f.attrs["observation_high"], checksummed=version >= 2)
    if "episodes" not in f or not len(f["episodes"]):
        raise LawmError(f"{path} has no episodes")
    names = sorted(f["episodes"])
    labeled = _episode_set(path, f.attrs, "labeled_episodes", len(names))
    terminated = _episode_set(path, f.attrs, "terminated_episodes", len(names))
    if terminated and not can_terminate(env_id):
        raise LawmError(f"{path}: the metadata field 'terminated_episodes' lists episodes, but {env_id} episodes "
                        "never terminate")
    diagnostics = f[DIAGNOSTICS_GROUP] if DIAGNOSTICS_GROUP in f else {}  # (h5py's get hides corrupt objects)
    episodes = [replace(check.episode(i, f["episodes"][name], i in labeled, diagnostics, name),
                        terminated=i in terminated) for i, name in enumerate(names)]
    return Dataset(env_id, episodes, action_low=check.action_low, action_high=check.action_high,
                   recipe=_text(f.attrs["recipe"]), behaviour_seed=int(f.attrs["behaviour_seed"]),
                   label_fraction=float(f.attrs["label_fraction"]), label_seed=int(f.attrs["label_seed"]),
                   behaviour=json.loads(_text(f.attrs.get("behaviour", "{}"))),
                   source=json.loads(_text(f.attrs.get("source", "{}"))))


def _episode_set(path: Path, attrs, field: str, count: int) -> set[int]:
    """The episode indices a metadata field lists (none if it is absent), each checked to exist."""
    listed = set(int(i) for i in attrs.get(field, []))
    outside = sorted(listed - set(range(count)))
    if outside:
        raise LawmError(f"{path}: the metadata field '{field}' lists episode {outside[0]}, but the file has "
                        f"{count} episodes")
    return listed


class _Checker:
    """Validates one episode at a time against the task's dimensions and the file's bounds."""

    def __init__(self, path, obs_dim, act_dim, action_low, action_high, observation_low, observation_high,
                 checksummed: bool):
        self.path, self.obs_dim, self.act_dim, self.checksummed = path, obs_dim, act_dim, checksummed
        self.action_low = self._bound("action_low", action_low, act_dim)
        self.action_high = self._bound("action_high", action_high, act_dim)
        self.observation_low = self._bound("observation_low", observation_low, obs_dim)
        self.observation_high = self._bound("observation_high", observation_high, obs_dim)

    def _bound(self, name, value, dim) -> np.ndarray:
        value = np.asarray(value, np.float32)
        if value.shape != (dim,) or not np.all(np.isfinite(value)):
            raise LawmError(f"{self.path}: the metadata field '{name}' must be {dim} finite numbers")
        return value

    def _node(self, where: str, field: str, group, name: str):
        """The object ``name`` of ``group``, None where there is none; one whose header fails its checksum is
        refused here (h5py's ``get`` would return None for it)."""
        if name not in group:
            return None
        try:
            return group[name]
        except (KeyError, OSError):
            raise LawmError(f"{self.path}: {where} field '{field}' fails its checksum (the file is corrupt)") from None

    def _array(self, where: str, field: str, node, shape: tuple) -> np.ndarray:
        if node is None:
            raise LawmError(f"{self.path}: {where} has no '{field}' field")
        if self.checksummed and not node.fletcher32:
            raise LawmError(f"{self.path}: {where} field '{field}' carries no checksum, which a version-2 file must")
        try:
            array = node[()]
        except OSError:
            raise LawmError(f"{self.path}: {where} field '{field}' fails its checksum (the file is corrupt)") from None
        if array.dtype != np.float32:
            raise LawmError(f"{self.path}: {where} field '{field}' has dtype {array.dtype}, expected float32")
        if array.shape != shape:
            raise LawmError(f"{self.path}: {where} field '{field}' has shape {array.shape}, expected {shape}")
        if not np.all(np.isfinite(array)):
            raise LawmError(f"{self.path}: {where} field '{field}' contains NaN or infinite values")
        return array

    def _within(self, where, field, array, low, high):
        if np.any(array < low - 1e-5) or np.any(array > high + 1e-5):
            raise LawmError(f"{self.path}: {where} field '{field}' lies outside the bounds in the metadata")

    def episode(self, index: int, group, labeled: bool, diagnostics, name: str) -> Episode:
        where = f"episode {index}"
        rewards = self._node(where, "rewards", group, "rewards")
        steps = rewards.shape[0] if rewards is not None and rewards.ndim == 1 else 0
        rewards = self._array(where, "rewards", rewards, (max(steps, 1),))
        observations = self._array(where, "observations", self._node(where, "observations", group, "observations"),
                                   (steps + 1, self.obs_dim))
        self._within(where, "observations", observations, self.observation_low, self.observation_high)
        if labeled != ("actions" in group):
            state = "lists it as labeled but it has no" if labeled else "lists it as unlabeled but it has an"
            raise LawmError(f"{self.path}: the metadata field 'labeled_episodes' {state} 'actions' field "
                            f"in {where}")
        actions = self._array(where, "actions", self._node(where, "actions", group, "actions"),
                              (steps, self.act_dim)) if labeled else None
        if actions is not None:
            self._within(where, "actions", actions, self.action_low, self.action_high)
        true_actions = self._node(where, DIAGNOSTICS_GROUP, diagnostics, name)
        if true_actions is not None:
            true_actions = self._array(where, DIAGNOSTICS_GROUP, true_actions, (steps, self.act_dim))
            self._within(where, DIAGNOSTICS_GROUP, true_actions, self.action_low, self.action_high)
        return Episode(observations, rewards, actions, true_actions)
