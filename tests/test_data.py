import h5py
import numpy as np
import pytest
from conftest import run_lawm

from lawm.data import Dataset, UniformPolicy, WindowSampler, collect, collect_parts, label_split
from lawm.data.dataset import DIAGNOSTICS_GROUP
from lawm.envs import Env
from lawm.errors import LawmError, LawmWarning


def test_round_trip_keeps_everything(walker_dataset, walker_file):
    loaded = Dataset.load(walker_file)
    assert loaded.env_id == "walker-walk" and loaded.recipe == "random"
    np.testing.assert_array_equal(loaded.label_mask, walker_dataset.label_mask)
    assert loaded.stats() == walker_dataset.stats()
    for a, b in zip(walker_dataset.episodes, loaded.episodes):
        np.testing.assert_array_equal(a.observations, b.observations)
        np.testing.assert_array_equal(a.rewards, b.rewards)
        assert (a.actions is None) == (b.actions is None)
        np.testing.assert_array_equal(a.known_actions, b.known_actions)


def test_unlabeled_episodes_store_no_actions(walker_dataset, walker_file):
    with h5py.File(walker_file) as f:
        for i, labeled in enumerate(walker_dataset.label_mask):
            assert ("actions" in f[f"episodes/{i:05d}"]) == labeled
            assert (f"{DIAGNOSTICS_GROUP}/{i:05d}" in f) == (not labeled)


def test_label_split_is_deterministic_and_keeps_one_label():
    assert label_split(100, 0.05, 3).sum() == 5
    np.testing.assert_array_equal(label_split(100, 0.05, 3), label_split(100, 0.05, 3))
    assert not np.array_equal(label_split(100, 0.05, 3), label_split(100, 0.05, 4))
    assert label_split(10, 0.001, 0).sum() == 1
    assert label_split(10, 0.0, 0).sum() == 0 and label_split(10, 1.0, 0).sum() == 10


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_label_fraction_outside_unit_interval_is_refused(walker_dataset, fraction):
    with pytest.raises(LawmError, match=r"label fraction must lie in \[0, 1\]"):
        walker_dataset.relabel(fraction, 0)


def test_relabel_and_views(walker_dataset):
    all_labeled = walker_dataset.relabel(1.0, 0)
    assert all_labeled.label_mask.all()
    oracle = walker_dataset.oracle()
    for e, o in zip(walker_dataset.episodes, oracle.episodes):
        np.testing.assert_array_equal(o.actions, e.known_actions)
    assert len(walker_dataset.labeled_only().episodes) == walker_dataset.label_mask.sum()


def _corrupt(source, tmp_path, edit):
    path = tmp_path / "bad.h5"
    path.write_bytes(source.read_bytes())
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _labeled_index(f) -> str:
    return f"{int(f.attrs['labeled_episodes'][0]):05d}"


def _unlabeled_index(f) -> str:
    return sorted(f[DIAGNOSTICS_GROUP])[0]


def _replace(f, name, value):
    del f[name]
    f.create_dataset(name, data=value, fletcher32=True)


BAD_FILES = {
    "nan observation": (lambda f: f["episodes/00000/observations"].__setitem__((3, 2), np.nan),
                        "episode 0 field 'observations' contains NaN"),
    "inf reward": (lambda f: f["episodes/00001/rewards"].__setitem__(5, np.inf),
                   "episode 1 field 'rewards' contains NaN or infinite"),
    "lengths disagree": (lambda f: _replace(f, "episodes/00002/rewards", np.zeros(499, np.float32)),
                         "episode 2 field 'observations' has shape"),
    "missing field": (lambda f: f.__delitem__("episodes/00003/observations"),
                      "episode 3 has no 'observations' field"),
    "observation dim": (lambda f: _replace(f, "episodes/00000/observations", np.zeros((501, 17), np.float32)),
                        r"episode 0 field 'observations' has shape \(501, 17\), expected \(501, 24\)"),
    "action dim": (lambda f: _replace(f, f"episodes/{_labeled_index(f)}/actions", np.zeros((500, 4), np.float32)),
                   r"field 'actions' has shape \(500, 4\), expected \(500, 6\)"),
    "unknown version": (lambda f: f.attrs.__setitem__("format_version", 99), "format version 99"),
    "missing metadata": (lambda f: f.attrs.__delitem__("env_id"), "missing the metadata field 'env_id'"),
    "action out of bounds": (lambda f: f[f"episodes/{_labeled_index(f)}/actions"].__setitem__((0, 0), 3.0),
                             "field 'actions' lies outside the bounds"),
    "label out of range": (lambda f: f.attrs.__setitem__("labeled_episodes", np.array([0, 99])),
                           "'labeled_episodes' lists episode 99, but the file has"),
    "true action out of bounds": (lambda f: f[f"{DIAGNOSTICS_GROUP}/{_unlabeled_index(f)}"].__setitem__((0, 0), 3.0),
                                  f"field '{DIAGNOSTICS_GROUP}' lies outside the bounds"),
    "unknown task": (lambda f: f.attrs.__setitem__("env_id", "walker-fly"), "walker-fly"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_gets_one_sentence_naming_file_episode_and_field(walker_file, tmp_path, case):
    edit, message = BAD_FILES[case]
    path = _corrupt(walker_file, tmp_path, edit)
    with pytest.raises(LawmError, match=message) as error:
        Dataset.load(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("cut", [0.5, 0.0])
def test_truncated_or_corrupt_file(walker_file, tmp_path, cut):
    path = tmp_path / "cut.h5"
    data = walker_file.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)] if cut else b"not an hdf5 file at all")
    with pytest.raises(LawmError, match="truncated or corrupt"):
        Dataset.load(path)


def test_failed_write_leaves_no_file(walker_dataset, tmp_path, monkeypatch):
    def broken(self, f, version):
        f["half"] = np.zeros(3)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Dataset, "_write", broken)
    with pytest.raises(RuntimeError):
        walker_dataset.save(tmp_path / "out.h5")
    assert list(tmp_path.iterdir()) == []


def test_windows_never_cross_episodes_and_carry_the_label_mask(walker_dataset):
    sampler = WindowSampler(walker_dataset, length=50, seed=1, true_actions=True)
    batch = sampler.sample(64)
    assert batch["observations"].shape == (64, 51, 24) and batch["actions"].shape == (64, 50, 6)
    assert batch["labeled"].any() and not batch["labeled"].all()
    for i in range(64):
        window = batch["observations"][i].numpy()
        owners = [e for e in walker_dataset.episodes
                  if any(np.array_equal(window, e.observations[s:s + 51]) for s in range(0, 450, 1))]
        assert len(owners) == 1, "a window must be one contiguous piece of one episode"
        episode = owners[0]
        start = next(s for s in range(450) if np.array_equal(window, episode.observations[s:s + 51]))
        assert bool(batch["labeled"][i]) == episode.labeled
        np.testing.assert_array_equal(batch["rewards"][i].numpy(), episode.rewards[start:start + 50])
        expected = episode.actions[start:start + 50] if episode.labeled else np.zeros((50, 6), np.float32)
        np.testing.assert_array_equal(batch["actions"][i].numpy(), expected)
        np.testing.assert_array_equal(batch["true_actions"][i].numpy(), episode.known_actions[start:start + 50])


def test_labeled_only_batches_and_refusal_without_labels(walker_dataset):
    assert WindowSampler(walker_dataset, 10).sample(32, labeled=True)["labeled"].all()
    unlabeled = walker_dataset.relabel(0.0, 0)
    with pytest.raises(LawmError, match="no labeled episodes"):
        WindowSampler(unlabeled, 10).sample(8, labeled=True)


def test_mixed_batches_hold_the_labeled_share(walker_dataset):
    sampler = WindowSampler(walker_dataset, 10, seed=0)
    batch = sampler.sample_mixed(32, 0.5)
    assert int(batch["labeled"].sum()) == 16 and batch["observations"].shape[0] == 32
    assert int(WindowSampler(walker_dataset.oracle(), 10).sample_mixed(32, 0.5)["labeled"].sum()) == 32


def _flip(path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def test_version_2_checksums_every_array(walker_file):
    with h5py.File(walker_file) as f:
        assert f.attrs["format_version"] == 2 and f.id.get_create_plist().get_version()[0] >= 2  # checksummed superblock
        arrays = []
        f.visititems(lambda name, node: arrays.append(node) if isinstance(node, h5py.Dataset) else None)
        assert arrays and all(node.fletcher32 for node in arrays)


@pytest.mark.parametrize("field", ["rewards", "observations"])
def test_a_flipped_bit_in_an_array_is_refused_naming_episode_and_field(walker_file, tmp_path, field):
    path = tmp_path / "flipped.h5"
    path.write_bytes(walker_file.read_bytes())
    with h5py.File(path) as f:
        chunk = f[f"episodes/00001/{field}"].id.get_chunk_info(0)
    _flip(path, chunk.byte_offset + chunk.size // 2, 5)
    with pytest.raises(LawmError, match=f"episode 1 field '{field}' fails its checksum") as error:
        Dataset.load(path)
    assert str(path) in str(error.value)


def test_a_flipped_bit_in_an_arrays_header_is_refused_naming_episode_and_field(walker_file, tmp_path):
    path = tmp_path / "flipped.h5"
    path.write_bytes(walker_file.read_bytes())
    with h5py.File(path) as f:
        header = h5py.h5o.get_info(f[f"{DIAGNOSTICS_GROUP}/{_unlabeled_index(f)}"].id).addr  # its object header
        episode = int(_unlabeled_index(f))
    _flip(path, header + 8)
    with pytest.raises(LawmError, match=f"episode {episode} field '{DIAGNOSTICS_GROUP}' fails its checksum"):
        Dataset.load(path)


def test_version_1_files_load_with_a_note_that_they_carry_no_checksums(walker_dataset, tmp_path):
    path = tmp_path / "v1.h5"
    walker_dataset.save(path, version=1)
    with pytest.warns(LawmWarning, match="is a version-1 dataset file, which carries no checksums"):
        loaded = Dataset.load(path)
    for a, b in zip(walker_dataset.episodes, loaded.episodes):
        np.testing.assert_array_equal(a.observations, b.observations)
        np.testing.assert_array_equal(a.known_actions, b.known_actions)
    assert loaded.behaviour == walker_dataset.behaviour and loaded.recipe == "random"
    stats = run_lawm("data", "stats", path)
    assert stats.stderr == (f"lawm: note: {path} is a version-1 dataset file, which carries no checksums, so "
                            "corruption in it may go unnoticed; saving it again (Dataset.load(path).save(new_path)) "
                            "adds them\n")
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 2
    with pytest.raises(LawmError, match="episode 0 field 'rewards' carries no checksum, which a version-2 file must"):
        Dataset.load(path)


def test_one_pool_for_all_parts_gives_each_part_the_episodes_it_gives_alone():
    env = Env("walker-walk")
    policy = UniformPolicy(env.action_low, env.action_high)
    parts = [(policy, 2, 1), (policy, 17, 2)]  # the second part spans two chunks
    together = collect_parts("walker-walk", parts, workers=2, progress=False)
    alone = [collect("walker-walk", *part, progress=False) for part in parts]
    for field, whole in enumerate(together):
        pieces = alone[0][field] + alone[1][field]
        assert len(whole) == len(pieces) == 19
        assert all(np.array_equal(a, b) for a, b in zip(whole, pieces))
