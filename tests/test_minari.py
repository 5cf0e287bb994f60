"""Minari in and out, and videos: a Hopper-v5 dataset recorded here by Minari's own DataCollector is imported,
trained on at the tiny preset by LAWM, C-LAP and TD3+BC, evaluated on film and exported back."""
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from conftest import run_lawm

from lawm.data import Dataset
from lawm.data.minari_io import export_minari, import_minari
from lawm.errors import LawmError

minari = pytest.importorskip("minari")

SOURCE = "lawm-test/hopper-random-v0"
EPISODES = 12
RECORD = Path(__file__).parent.parent / "scripts" / "record_minari.py"


@pytest.fixture(scope="module", autouse=True)
def datasets_root(tmp_path_factory):
    """A private Minari datasets folder (MINARI_DATASETS_PATH) holding one recorded Hopper-v5 dataset."""
    root = tmp_path_factory.mktemp("minari")
    before = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(root)
    subprocess.run([sys.executable, RECORD, SOURCE, "--episodes", str(EPISODES), "--ref-min-score", "-20",
                    "--ref-max-score", "3234.3"], check=True, capture_output=True)
    yield root
    if before is None:
        del os.environ["MINARI_DATASETS_PATH"]
    else:
        os.environ["MINARI_DATASETS_PATH"] = before


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "hopper.h5"
    done = run_lawm("data", "import-minari", SOURCE, "--label-fraction", "0.25", "--seed", "1", "--out", path)
    assert f"{EPISODES} episodes of gym:Hopper-v5, 3 labeled" in done.stdout
    return path


def test_import_keeps_a_share_of_actions_and_records_the_source(imported):
    dataset, source = Dataset.load(imported), minari.load_dataset(SOURCE)
    assert dataset.env_id == "gym:Hopper-v5" and len(dataset.episodes) == EPISODES
    assert dataset.label_mask.sum() == 3 and dataset.label_fraction == 0.25 and dataset.label_seed == 1
    assert dataset.source["minari_dataset_id"] == SOURCE and dataset.source["environment"]["id"] == "Hopper-v5"
    assert dataset.reference_scores == (-20.0, 3234.3)
    for episode, recorded in zip(dataset.episodes, source.iterate_episodes()):
        np.testing.assert_array_equal(episode.known_actions, recorded.actions)  # labels or the diagnostics copy
        np.testing.assert_allclose(episode.observations, recorded.observations, rtol=1e-6)
        assert episode.terminated == recorded.terminations[-1]


def test_tiny_runs_evaluate_with_video_and_export_back(imported, tmp_path):
    runs = {method: tmp_path / method for method in ("lawm", "clap", "td3bc")}
    for method, run in runs.items():
        done = run_lawm("train", method, "--dataset", imported, "--run", run, "--preset", "tiny", "--no-progress")
        assert "normalized score" in done.stdout  # D4RL-normalized with the dataset's reference scores
    video = tmp_path / "lawm.mp4"
    done = run_lawm("eval", runs["lawm"], "--episodes", "2", "--video", video, "--video-episodes", "2",
                    "--video-every", "10", "--video-size", "64")
    result = json.loads((runs["lawm"] / "eval_seed0_episodes2.json").read_text())
    frames = imageio.mimread(video)
    assert len(frames) == -(-max(result["lengths"]) // 10) and frames[0].shape == (64, 128, 3)
    assert frames[0].std() > 0  # a picture, not a blank
    run_lawm("data", "export-minari", imported, "--dataset-id", "lawm-test/hopper-back-v0")
    assert minari.load_dataset("lawm-test/hopper-back-v0").total_episodes == EPISODES


def test_dmc_run_renders_a_video(walker_file, tmp_path):
    run, video = tmp_path / "td3bc", tmp_path / "walker.mp4"
    run_lawm("train", "td3bc", "--dataset", walker_file, "--run", run, "--preset", "tiny", "--set", "steps=20",
             "--set", "eval_every=0", "--set", "eval_episodes=1", "--no-progress")
    run_lawm("eval", run, "--video", video, "--video-every", "100")
    assert len(imageio.mimread(video)) == 5  # steps 0, 100, ..., 400 of a 500-step episode
    refused = run_lawm("eval", run, "--video", tmp_path / "walker.gif", check=False)
    assert refused.returncode == 2 and "must end in .mp4" in refused.stderr


def test_round_trip_is_lossless_even_without_actions(tmp_path):
    dataset = import_minari(SOURCE, 0.25, seed=1)
    unknown = int(np.flatnonzero(~dataset.label_mask)[0])  # forget its diagnostics copy: no actions at all
    episodes = [e if i != unknown else dataclasses.replace(e, true_actions=None)
                for i, e in enumerate(dataset.episodes)]
    dataset = dataset._with(episodes)
    export_minari(dataset, "lawm-test/hopper-trip-v0")
    exported = minari.load_dataset("lawm-test/hopper-trip-v0")
    assert np.isnan(exported[unknown].actions).all()  # an action-free episode without a copy: NaN actions
    back = import_minari("lawm-test/hopper-trip-v0")
    assert (back.env_id, back.recipe, back.label_fraction, back.label_seed) == (dataset.env_id, dataset.recipe,
                                                                                 0.25, 1)
    assert back.source == dataset.source and back.behaviour == dataset.behaviour
    np.testing.assert_array_equal(back.label_mask, dataset.label_mask)
    np.testing.assert_array_equal(back.terminated_mask, dataset.terminated_mask)
    for a, b in zip(dataset.episodes, back.episodes):
        for field in ("observations", "rewards", "actions", "true_actions"):
            if getattr(a, field) is None:
                assert getattr(b, field) is None
            else:
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_bad_requests_are_refused_in_one_sentence(imported, datasets_root):
    with pytest.raises(LawmError, match="cannot open the local Minari dataset 'lawm-test/missing-v0'"):
        import_minari("lawm-test/missing-v0")
    with pytest.raises(LawmError, match="already exists"):
        export_minari(Dataset.load(imported), SOURCE)
    with pytest.raises(LawmError, match="'x/hopper-v0' is not a Minari dataset id"):
        export_minari(Dataset.load(imported), "x/hopper-v0")  # Minari refuses one-letter namespaces
    assert sorted(p.name for p in datasets_root.iterdir()) == ["lawm-test"]  # nothing half-written
