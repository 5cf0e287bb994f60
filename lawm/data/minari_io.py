"""Minari datasets in and out (the ``minari`` extra): local datasets only, ``MINARI_DATASETS_PATH`` honoured.

Import keeps the actions of a share of the episodes and moves the rest to the diagnostics copy, as
``Dataset.relabel`` does, and records where the episodes came from: the Minari dataset id, its environment and,
where it has them, its reference scores for the D4RL-normalized score.

Export writes every step's action, as Minari requires: the labels of labeled episodes, the diagnostics copy of
action-free ones, and NaN where an action-free episode has no diagnostics copy either. The lawm metadata
(which episodes are labeled, the recipe, the seeds, the source) travels in the Minari dataset's metadata under
``lawm``, so that importing an exported dataset without a new label fraction gives back the same lawm dataset.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from lawm.data.dataset import Dataset, Episode
from lawm.envs import GYM_PREFIX, Env, can_terminate
from lawm.errors import LawmError

ROOT_VARIABLE = "MINARI_DATASETS_PATH"
METADATA_KEY = "lawm"


def _minari():
    try:
        import minari
    except ImportError:
        raise LawmError("Minari datasets need Minari: pip install 'lawm[minari]'") from None
    return minari


def _load(dataset_id: str):
    minari = _minari()
    try:
        return minari.load_dataset(dataset_id)
    except FileNotFoundError:
        raise LawmError(f"cannot open the local Minari dataset '{dataset_id}': it is not under "
                        f"{minari.storage.get_dataset_path()} (set {ROOT_VARIABLE} to look elsewhere; lawm downloads "
                        "nothing)") from None
    except ValueError as error:
        raise LawmError(f"cannot open the local Minari dataset '{dataset_id}': {error}") from None


def _env_id(source, dataset_id: str) -> str:
    """The lawm task of a Minari dataset not exported by lawm: its Gymnasium environment."""
    spec = source.spec.env_spec
    if spec is None:
        raise LawmError(f"the Minari dataset '{dataset_id}' names no environment, so lawm cannot evaluate on it")
    return GYM_PREFIX + spec.id


def import_minari(dataset_id: str, label_fraction: float | None = None, seed: int = 0) -> Dataset:
    """A lawm dataset from the local Minari dataset ``dataset_id``: ``label_fraction`` of its episodes keep
    their actions (split with ``seed``). Without a fraction, a dataset that lawm exported gets its own split
    back and any other one a 5 % split."""
    source = _load(dataset_id)
    metadata = source.storage.metadata
    saved = json.loads(metadata[METADATA_KEY]) if METADATA_KEY in metadata else None
    env = Env(saved["env_id"] if saved else _env_id(source, dataset_id))
    episodes = [_episode(dataset_id, data, env) for data in source.iterate_episodes()]
    if not episodes:
        raise LawmError(f"the Minari dataset '{dataset_id}' has no episodes")
    if saved:
        dataset = _restore(saved, episodes)
        return dataset if label_fraction is None else dataset.relabel(label_fraction, seed)
    spec = source.spec.env_spec
    origin = dict(minari_dataset_id=dataset_id, environment=json.loads(spec.to_json()),
                  ref_min_score=metadata.get("ref_min_score"), ref_max_score=metadata.get("ref_max_score"))
    fraction = 0.05 if label_fraction is None else label_fraction
    return Dataset.from_rollouts(env.name, *zip(*episodes), label_fraction=fraction, label_seed=seed,
                                 action_low=env.action_low, action_high=env.action_high, recipe="minari",
                                 behaviour=dict(algorithm_name=metadata.get("algorithm_name")),
                                 source={k: v for k, v in origin.items() if v is not None})


def _episode(dataset_id: str, data, env) -> tuple:
    """(observations, rewards, actions or None, terminated) of one Minari episode, checked against the task."""
    where = f"the Minari dataset '{dataset_id}', episode {data.id}"
    if not isinstance(data.observations, np.ndarray) or not isinstance(data.actions, np.ndarray):
        raise LawmError(f"{where} has structured observations or actions; lawm reads flat Box spaces only")
    observations = data.observations.reshape(len(data.observations), -1).astype(np.float32)
    actions = data.actions.reshape(len(data.actions), -1).astype(np.float32)
    if observations.shape[1] != env.observation_dim or actions.shape[1] != env.action_dim:
        raise LawmError(f"{where} has observations of {observations.shape[1]} and actions of {actions.shape[1]} "
                        f"numbers, but the task {env.name} has {env.observation_dim} and {env.action_dim}")
    known = not np.isnan(actions).all()
    actions = np.clip(actions, env.action_low, env.action_high) if known else None
    return observations, np.asarray(data.rewards, np.float32), actions, bool(data.terminations[-1])


def _restore(saved: dict, episodes: list[tuple]) -> Dataset:
    """The lawm dataset that ``export_minari`` wrote, from its metadata and episodes."""
    labeled = set(saved["labeled_episodes"])
    episodes = [Episode(o, r, a if i in labeled else None, None if i in labeled else a, end)
                for i, (o, r, a, end) in enumerate(episodes)]
    return Dataset(saved["env_id"], episodes, action_low=saved["action_low"], action_high=saved["action_high"],
                   recipe=saved["recipe"], behaviour_seed=saved["behaviour_seed"],
                   label_fraction=saved["label_fraction"], label_seed=saved["label_seed"],
                   behaviour=saved["behaviour"], source=saved["source"])


def export_minari(dataset: Dataset, dataset_id: str) -> Path:
    """Write ``dataset`` as the local Minari dataset ``dataset_id`` (atomically: it is built in a hidden folder
    among the datasets, then moved into place); returns its folder."""
    minari = _minari()
    from minari.data_collector import EpisodeBuffer
    from minari.dataset.minari_dataset import parse_dataset_id
    from minari.namespace import create_namespace, list_local_namespaces

    root = minari.storage.get_dataset_path()
    target = root / dataset_id
    if target.exists():
        raise LawmError(f"the Minari dataset '{dataset_id}' already exists at {target}; choose another id or version")
    try:
        namespace = parse_dataset_id(dataset_id)[0]
    except ValueError as error:
        raise LawmError(f"'{dataset_id}' is not a Minari dataset id ({error})") from None
    buffers = [_buffer(EpisodeBuffer, i, e, dataset.action_dim) for i, e in enumerate(dataset.episodes)]
    staging = root / f".lawm-export-{os.getpid()}"
    try:
        with _datasets_root(staging):
            _create(minari, dataset, dataset_id, buffers)
        if namespace is not None and namespace not in list_local_namespaces():
            create_namespace(namespace)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / dataset_id, target)
    except (ValueError, AssertionError) as error:
        raise LawmError(f"Minari refused to write '{dataset_id}': {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _buffer(cls, index: int, episode: Episode, action_dim: int):
    """Minari's record of an episode. Every step has an action: the labels or the diagnostics copy, else NaN
    (unknown). The last step is a termination or, for an episode that timed out, a truncation."""
    actions = episode.known_actions
    if actions is None:
        actions = np.full((episode.length, action_dim), np.nan, np.float32)
    terminations = episode.terminals.astype(bool)
    truncations = np.zeros(episode.length, bool)
    truncations[-1] = not episode.terminated
    return cls(id=index, observations=episode.observations, actions=actions, rewards=episode.rewards,
               terminations=terminations, truncations=truncations, infos={})


def _create(minari, dataset: Dataset, dataset_id: str, buffers: list) -> None:
    import gymnasium

    gym_task = can_terminate(dataset.env_id)
    observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (dataset.observation_dim,), np.float32)
    action_space = gymnasium.spaces.Box(dataset.action_low, dataset.action_high, dtype=np.float32)
    reference = dataset.reference_scores or (None, None)
    with warnings.catch_warnings():  # Minari's advice to name an author and a code permalink
        warnings.simplefilter("ignore", UserWarning)
        created = minari.create_dataset_from_buffers(
            dataset_id, buffers, env=dataset.env_id[len(GYM_PREFIX):] if gym_task else None,
            observation_space=observation_space, action_space=action_space, algorithm_name=f"lawm {dataset.recipe}",
            ref_min_score=reference[0], ref_max_score=reference[1],
            description=f"{dataset.env_id} {dataset.recipe} dataset exported by lawm; NaN actions are unknown ones")
    created.storage.update_metadata({METADATA_KEY: json.dumps(_metadata(dataset))})


def _metadata(dataset: Dataset) -> dict:
    """What a lawm dataset file says beyond its episodes, for a lossless round trip."""
    return dict(env_id=dataset.env_id, recipe=dataset.recipe, behaviour_seed=dataset.behaviour_seed,
                label_fraction=dataset.label_fraction, label_seed=dataset.label_seed,
                labeled_episodes=np.flatnonzero(dataset.label_mask).tolist(),
                action_low=dataset.action_low.tolist(), action_high=dataset.action_high.tolist(),
                behaviour=dataset.behaviour, source=dataset.source)


@contextlib.contextmanager
def _datasets_root(path: Path):
    """Point Minari at another datasets folder within the block."""
    before = os.environ.get(ROOT_VARIABLE)
    os.environ[ROOT_VARIABLE] = str(path)
    try:
        yield
    finally:
        if before is None:
            del os.environ[ROOT_VARIABLE]
        else:
            os.environ[ROOT_VARIABLE] = before
