import json
import shutil

import numpy as np
import pytest
import torch

from lawm.behaviour.online import PRESETS, BehaviourConfig, OnlineAgent, train_behaviour
from lawm.common.config import build
from lawm.data import Dataset
from lawm.data.recipes import KINDS, MEDIUM_TARGET, Snapshot, allocate, export_snapshots, make_dataset, read_manifest, select
from lawm.errors import LawmError


def tiny(task: str, **overrides) -> BehaviourConfig:
    return build(BehaviourConfig, PRESETS, "tiny", [f"task={task}", *(f"{k}={v}" for k, v in overrides.items())])


def snapshots(run) -> list[dict]:
    return json.loads((run / "snapshots" / "manifest.json").read_text())["snapshots"]


def test_sac_improves_its_return_on_cartpole_swingup(tmp_path):
    config = tiny("cartpole-swingup", hidden=64, batch_size=64, steps=4000, seed_steps=1000, snapshot_every=1000,
                  snapshot_episodes=3, checkpoint_every=1000)
    train_behaviour(config, tmp_path / "sac", progress=False)
    returns = [s["return_mode"] for s in snapshots(tmp_path / "sac")]
    assert returns[-1] > returns[0] + 150, returns


def test_resume_continues_from_the_saved_step_as_if_never_stopped(tmp_path, monkeypatch):
    config = tiny("pendulum-swingup", steps=1000, checkpoint_every=500)
    train_behaviour(config, tmp_path / "whole", progress=False)
    update = OnlineAgent.update

    def interrupted(self, step):
        if step == 700:
            raise KeyboardInterrupt
        return update(self, step)

    monkeypatch.setattr(OnlineAgent, "update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_behaviour(config, tmp_path / "split", progress=False)
    assert torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=True)["step"] == 500
    monkeypatch.setattr(OnlineAgent, "update", update)
    train_behaviour(config, tmp_path / "split", progress=False)
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 1000
    whole = torch.load(tmp_path / "whole" / "snapshots" / "step_0001000.pt")
    split = torch.load(tmp_path / "split" / "snapshots" / "step_0001000.pt")
    for name in whole:
        torch.testing.assert_close(whole[name], split[name], rtol=0, atol=0)


def test_a_finished_run_taken_further_trains_as_one_longer_run(tmp_path):
    """A run that ended at ``steps`` without reaching its stop return (hopper-stand's replay seed 4) goes on
    from its checkpoint once ``steps`` grows, to the same snapshots as a run that had the larger limit."""
    train_behaviour(tiny("pendulum-swingup", steps=1000), tmp_path / "grown", progress=False)
    train_behaviour(tiny("pendulum-swingup", steps=1500), tmp_path / "grown", progress=False)
    train_behaviour(tiny("pendulum-swingup", steps=1500), tmp_path / "whole", progress=False)
    assert [s["step"] for s in snapshots(tmp_path / "grown")] == [500, 1000, 1500]
    whole = torch.load(tmp_path / "whole" / "snapshots" / "step_0001500.pt")
    grown = torch.load(tmp_path / "grown" / "snapshots" / "step_0001500.pt")
    for name in whole:
        torch.testing.assert_close(whole[name], grown[name], rtol=0, atol=0)
    with pytest.raises(LawmError, match="was made with steps=1500, not 1000"):
        train_behaviour(tiny("pendulum-swingup", steps=1000), tmp_path / "grown", progress=False)


def test_a_run_ends_at_its_first_snapshot_with_the_stop_return_and_stays_ended(tmp_path):
    config = tiny("walker-walk", steps=1500, checkpoint_every=1000, stop_at_return=1.0)
    train_behaviour(config, tmp_path / "sac", progress=False)
    assert snapshots(tmp_path / "sac")[0]["return_stochastic"] >= 1.0
    assert [s["step"] for s in snapshots(tmp_path / "sac")] == [500]
    assert torch.load(tmp_path / "sac" / "checkpoint.pt", weights_only=True)["step"] == 500
    train_behaviour(config, tmp_path / "sac", progress=False)  # rerun: nothing more to do
    assert [s["step"] for s in snapshots(tmp_path / "sac")] == [500]
    assert len((tmp_path / "sac" / "sessions.jsonl").read_text().splitlines()) == 1


def test_explorer_learns_from_ensemble_disagreement(tmp_path):
    train_behaviour(tiny("cartpole-swingup", algorithm="explore"), tmp_path / "explore", progress=False)
    last = json.loads((tmp_path / "explore" / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["intrinsic_reward"] > 0 and np.isfinite(last["model_loss"])
    assert len(snapshots(tmp_path / "explore")) == 2


def test_a_manifest_without_snapshots_gets_one_sentence(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(dict(algorithm="sac", snapshots=[])))
    with pytest.raises(LawmError, match="lists no snapshots"):
        read_manifest(tmp_path)


def _manifest(returns: list[float]) -> list[Snapshot]:
    return [Snapshot(f"s{i}.pt", 1000 * i, 20 * i, r, r) for i, r in enumerate(returns, 1)]


def test_recipe_selection_follows_returns():
    run = _manifest([30, 80, 200, 350, 480, 560, 700, 820, 860, 880, 870])
    names = {kind: [s.file if s else "random" for s, _ in select(kind, run)] for kind in KINDS}
    assert names["expert"] == ["s10.pt", "s11.pt", "s9.pt"]  # within 5 % of the best 880
    assert names["medium"] == ["s5.pt", "s6.pt"]  # 480 and 560: 50-65 % of 880, nearest 57.5 % first
    assert names["medium-replay"] == ["s1.pt", "s2.pt", "s3.pt", "s4.pt", "s5.pt", "s6.pt"]  # up to 560 >= 0.575 * 880
    assert len(names["explore"]) == 12
    assert allocate(10, [20, 20, 20, 40]) == [2, 2, 2, 4] and sum(allocate(2000, [1, 1, 1])) == 2000


def test_medium_replay_weights_each_snapshot_by_the_stretch_it_ends():
    run = [Snapshot("a.pt", 1000, 20, 100, 100), Snapshot("b.pt", 3000, 50, 300, 300),
           Snapshot("c.pt", 4000, 60, 580, 580), Snapshot("d.pt", 9000, 150, 1000, 1000)]
    assert [(s.file, w * 60) for s, w in select("medium-replay", run)] == [("a.pt", 20), ("b.pt", 30), ("c.pt", 10)]


def test_medium_replay_gives_every_run_the_same_share_up_to_its_own_medium_level():
    fast = [Snapshot(f"f{i}.pt", 1000 * i, 2 * i, r, r, run=1) for i, r in enumerate([50, 300, 600, 700], 1)]
    slow = [Snapshot(f"s{i}.pt", 1000 * i, 2 * i, r, r, run=2) for i, r in enumerate([20, 90, 200, 400], 1)]
    chosen = select("medium-replay", fast + slow, best=1000)
    assert [s.file for s, _ in chosen] == ["f1.pt", "f2.pt", "f3.pt", "s1.pt", "s2.pt", "s3.pt", "s4.pt"]
    assert allocate(600, [w for _, w in chosen]) == [100, 100, 100, 75, 75, 75, 75]  # 300 episodes a run


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    """Tiny SAC and explorer runs for pendulum-swingup, exported as a policies folder."""
    root = tmp_path_factory.mktemp("behaviour")
    for algorithm in ("sac", "explore"):
        run = root / algorithm
        train_behaviour(tiny("pendulum-swingup", algorithm=algorithm, steps=1500), run, progress=False)
        export_snapshots(run, root / "policies" / "pendulum-swingup" / algorithm)
    return root / "policies"


def test_replay_runs_export_up_to_their_medium_level_and_roll_out_evenly(policies, tmp_path):
    """Two replay runs (seeds 1, 2; their step limits differ, which changes nothing up to their ends) beside
    the SAC folder: medium-replay rolls out their snapshots alone, the same number of episodes from each."""
    folder = tmp_path / "policies"
    shutil.copytree(policies, folder)
    best = max(s.return_stochastic for s in read_manifest(folder / "pendulum-swingup" / "sac")[1])
    for seed, steps in ((1, 1500), (2, 1000)):
        run = tmp_path / f"replay{seed}"
        train_behaviour(tiny("pendulum-swingup", seed=seed, steps=steps), run, progress=False)
        export_snapshots(run, folder / "pendulum-swingup" / "replay", replay=True)
        medium = next((s.step for s in read_manifest(run / "snapshots")[1]
                       if s.return_stochastic >= MEDIUM_TARGET * best), steps)
        assert [s["step"] for s in snapshots(run) if s["step"] <= medium] == [
            s.step for s in read_manifest(folder / "pendulum-swingup" / "replay")[1] if s.run == seed]
    dataset = make_dataset("pendulum-swingup", "medium-replay", episodes=6, seed=0, policies=folder,
                           progress=False)
    per_run = [sum(p["episodes"] for p in dataset.behaviour["policies"] if p["policy"].startswith(f"seed{seed}/"))
               for seed in (1, 2)]
    assert (dataset.behaviour["source"], per_run) == ("replay", [3, 3])


def set_returns(folder, value: float) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for snapshot in manifest["snapshots"]:
        snapshot["return_stochastic"] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_replay_run_trained_otherwise_than_the_others_is_refused(policies, tmp_path):
    folder = tmp_path / "policies"
    shutil.copytree(policies, folder)
    set_returns(folder / "pendulum-swingup" / "sac", 0.0)  # a medium level of 0: every snapshot is past it
    for seed, lr in ((1, 3e-4), (2, 1e-3)):
        run = tmp_path / f"replay{seed}"
        train_behaviour(tiny("pendulum-swingup", seed=seed, steps=500, lr=lr), run, progress=False)
        if seed == 1:
            export_snapshots(run, folder / "pendulum-swingup" / "replay", replay=True)
    with pytest.raises(LawmError, match="were trained with another config than .*replay2; replay runs differ only"):
        export_snapshots(run, folder / "pendulum-swingup" / "replay", replay=True)
    assert {s.run for s in read_manifest(folder / "pendulum-swingup" / "replay")[1]} == {1}


def test_a_replay_run_that_never_reached_the_medium_level_is_refused(policies, tmp_path):
    folder, run = tmp_path / "policies", tmp_path / "stuck"
    shutil.copytree(policies, folder)
    shutil.copytree(policies.parent / "sac", run)
    set_returns(folder / "pendulum-swingup" / "sac", 200.0)  # a medium level of 115
    set_returns(run / "snapshots", 20.0)  # a run stuck near the start, as hopper-stand's can be
    with pytest.raises(LawmError, match=r"never reached the medium level \(115; its best snapshot returned 20\)"):
        export_snapshots(run, folder / "pendulum-swingup" / "replay", replay=True)
    assert not (folder / "pendulum-swingup" / "replay").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_each_recipe_writes_a_valid_dataset(policies, tmp_path, kind):
    dataset = make_dataset("pendulum-swingup", kind, episodes=8, seed=3, label_fraction=0.25, policies=policies,
                           progress=False)
    dataset.save(tmp_path / "d.h5")
    loaded = Dataset.load(tmp_path / "d.h5")
    assert (len(loaded.episodes), int(loaded.label_mask.sum()), loaded.recipe) == (8, 2, kind)
    assert sum(p["episodes"] for p in loaded.behaviour["policies"]) == 8
    again = make_dataset("pendulum-swingup", kind, episodes=8, seed=3, label_fraction=0.25, policies=policies,
                         progress=False)
    for a, b in zip(dataset.episodes, again.episodes):
        np.testing.assert_array_equal(a.known_actions, b.known_actions)
