"""``lawm report`` on synthetic finished run folders: LAWM against C-LAP with bootstrap intervals, learning
curves per task and dataset, the label-fraction curve; and the ``claim`` and ``labels`` grids."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import random_dataset, run_lawm

from lawm.bench.cells import DatasetJob, make_datasets
from lawm.bench.grids import GRIDS, dataset_path, load_grid
from lawm.bench.report import bootstrap_difference, bootstrap_mean, load_results
from lawm.bench.runner import dataset_jobs
from lawm.data import Dataset
from lawm.errors import LawmError


def finish_cell(out, task, kind, fraction, method, seed, score, curve=(10.0, 20.0)):
    """A run folder as a finished cell leaves it: cell.json, eval.json and eval_score lines in metrics.jsonl."""
    folder = out / "runs" / task / kind / f"lf{fraction:g}" / method / f"seed{seed}"
    folder.mkdir(parents=True)
    (folder / "cell.json").write_text(json.dumps(dict(task=task, kind=kind, label_fraction=fraction, method=method,
                                                      seed=seed, preset="small", dataset="d.h5",
                                                      run_dir=str(folder))))
    (folder / "eval.json").write_text(json.dumps(dict(normalized_score=score)))
    lines = [dict(step=1000 * (i + 1), eval_score=s) for i, s in enumerate(curve)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_the_difference_interval_holds_the_observed_difference_and_is_deterministic():
    lawm, clap = np.array([45.6, 53.2, 38.6]), np.array([41.3, 54.9, 55.3])
    value, low, high = bootstrap_difference(lawm, clap)
    assert value == pytest.approx(lawm.mean() - clap.mean())
    assert low < value < high
    assert bootstrap_difference(lawm, clap) == (value, low, high)
    few = [bootstrap_difference(lawm, clap, samples=20, seed=seed) for seed in (0, 0, 1)]
    assert few[0] == few[1] != few[2]  # the generator seed, not chance, fixes the interval


def test_a_difference_positive_in_every_seed_gives_an_interval_above_zero():
    value, low, high = bootstrap_difference(np.array([80.0, 84.0, 78.0]), np.array([30.0, 41.0, 36.0]))
    assert 0 < 78 - 41 <= low < value < high <= 84 - 30
    assert bootstrap_difference(np.array([50.0, 60, 70]), np.array([55.0, 58, 65]))[1] < 0  # overlapping: holds 0


def test_report_gives_per_cell_differences_curves_and_the_label_fraction_curve(tmp_path):
    claim = GRIDS["claim"]
    rng = np.random.default_rng(0)
    for task, kind in claim.datasets():
        for method, base in (("lawm", 80), ("clap", 35), ("clap-oracle", 65), ("td3bc", 30)):
            for seed in claim.seeds:
                finish_cell(tmp_path, task, kind, 0.05, method, seed, base + rng.uniform(-3, 3))
    for seed in claim.seeds:  # the prior grid's cells, in one dataset so far
        finish_cell(tmp_path, "walker-walk", "explore", 0.05, "lawm-prior", seed, 90 + seed)
    for fraction, base in ((0.01, 40), (0.1, 70), (0.25, 75)):
        for method in ("lawm", "clap", "idm-td3bc"):
            for seed in (0, 1):
                finish_cell(tmp_path, "walker-walk", "explore", fraction, method, seed, base + seed)
    run_lawm("report", tmp_path)
    report = (tmp_path / "report.md").read_text()

    differences = report.split("## Label fraction 0.05")[1].split("### LAWM against C-LAP")[1].split("###")[0]
    rows = [[text.strip() for text in line.split("|")[1:-1]] for line in differences.splitlines()
            if line.endswith("| 3/3/3 |")]
    assert sorted((task, kind) for task, kind, method, *_ in rows if method == "LAWM") == sorted(claim.datasets())
    assert [row[:3] for row in rows if row[2] != "LAWM"] == [["walker-walk", "explore", "LAWM + learned prior"]]
    expected = {"LAWM": ((39, 51), (9, 21)), "LAWM + learned prior": ((50, 62), (20, 32))}  # 80 or 91, 35, 65
    for _, _, method, clap, clap_ci, oracle, oracle_ci, _ in rows:
        for value, (low, high) in zip((clap, oracle), expected[method]):
            assert low < float(value) < high
        bounds = [float(b) for ci in (clap_ci, oracle_ci) for b in ci.strip(" []").split(",")]
        assert all(b > 0 for b in bounds) and bounds[0] < float(clap) < bounds[1]
    assert "from 2000 resamples" in differences
    iqm_rows = re.findall(r"\n\| LAWM \| [\d.]+ \| \[[\d.]+, [\d.]+\] \| (\d+) \|", report)
    assert iqm_rows == ["2", "12", "2", "2"]  # the IQM over tasks and datasets at each label fraction, reused

    curves = (tmp_path / "curves_lf0.05.png").read_bytes()
    width = int.from_bytes(curves[16:20], "big")  # the PNG header's width in pixels
    assert curves.startswith(b"\x89PNG") and width == 4 * 42 * 11  # 4 panels of 4.2 inches side by side, 110 dpi
    assert (tmp_path / "label_fractions.png").read_bytes().startswith(b"\x89PNG")
    curve = report.split("## Score against label fraction")[1]
    assert "### walker-walk explore" in curve and "### cheetah-run" not in curve  # only cells with several fractions
    assert "| label fraction | C-LAP (Oracle) | TD3+BC | C-LAP | IDM-TD3+BC | LAWM | LAWM + learned prior |" in curve
    assert "| 0.01 | – | – | 40.5 [40.0, 41.0] (n=2) | 40.5 [40.0, 41.0] (n=2) | 40.5 [40.0, 41.0] (n=2) | – |" in curve
    five = [r["score"] for r in load_results(tmp_path) if (r["task"], r["kind"], r["label_fraction"], r["method"])
            == ("walker-walk", "explore", 0.05, "lawm")]
    row = next(line for line in curve.splitlines() if line.startswith("| 0.05 |"))
    idm, lawm = row.split("|")[5:7]
    assert idm.strip() == "–" and lawm.strip().startswith(f"{np.mean(five):.1f} [")  # no IDM-TD3+BC at 5 % here
    oracle = [r["score"] for r in load_results(tmp_path) if (r["task"], r["kind"], r["method"])
              == ("walker-walk", "explore", "clap-oracle")]
    assert row.split("|")[2].strip() == "–"  # the oracle sees every label: not a point of the 5 % row
    last = curve.split("![label fractions]")[0].strip().splitlines()[-1].split("|")
    assert last[1].strip() == "every label (oracles)" and last[2].strip().startswith(f"{np.mean(oracle):.1f} [")
    assert {text.strip() for text in last[3:-1]} == {"–"} and "(n=3)" in last[2]


def test_bootstrap_mean_of_one_seed_is_that_seed():
    assert bootstrap_mean(np.array([42.0])) == (42.0, 42.0, 42.0)


def test_the_claim_grid_has_four_cells_of_six_methods_and_three_seeds(tmp_path):
    claim = GRIDS["claim"]
    cells = claim.cells(tmp_path)
    assert len(cells) == 72 and len(set(cells)) == 72
    assert claim.datasets() == [("walker-walk", "explore"), ("cheetah-run", "medium-replay"),
                                ("hopper-stand", "medium-replay"), ("walker-walk", "medium-replay")]
    assert {c.method for c in cells} == {"lawm", "clap", "clap-oracle", "td3bc", "td3bc-oracle", "idm-td3bc"}
    assert {(c.preset, c.label_fraction) for c in cells} == {("small", 0.05)} and claim.episodes == 2000
    assert cells[0].dataset.endswith("datasets/walker-walk-explore-2000ep-seed0-lf0.05.h5")


def test_the_prior_grid_runs_lawm_with_a_learned_prior_on_the_claim_grids_files(tmp_path):
    prior, claim = GRIDS["prior"], GRIDS["claim"]
    cells = prior.cells(tmp_path)
    assert len(cells) == 12 and {c.method for c in cells} == {"lawm-prior"} and "lawm-prior" not in claim.methods
    assert {c.dataset for c in cells} == {c.dataset for c in claim.cells(tmp_path)}
    assert {(c.task, c.kind, c.seed, c.preset) for c in cells} == {(c.task, c.kind, c.seed, c.preset)
                                                                   for c in claim.cells(tmp_path)}


def test_the_labels_grid_shares_its_five_percent_cells_with_the_claim_grid(tmp_path):
    labels = GRIDS["labels"]
    cells = labels.cells(tmp_path)
    assert len(cells) == 5 * 3 * 2 and labels.label_fractions == (0.01, 0.02, 0.05, 0.1, 0.25)
    assert {(c.task, c.kind) for c in cells} == {("walker-walk", "explore")}
    shared = {(c.dataset, c.run_dir) for c in cells} & {(c.dataset, c.run_dir) for c in GRIDS["claim"].cells(tmp_path)}
    assert len(shared) == 3 * 2


def test_grid_files_take_pairs_and_refuse_a_pair_outside_tasks_and_kinds(tmp_path):
    spec = dict(tasks=["walker-walk", "cheetah-run"], kinds=["random", "expert"], methods=["td3bc"], seeds=[0],
                pairs=[["walker-walk", "random"], ["cheetah-run", "expert"]])
    path = tmp_path / "two.json"
    path.write_text(json.dumps(spec))
    assert [(c.task, c.kind) for c in load_grid(str(path)).cells(tmp_path)] == [("walker-walk", "random"),
                                                                                 ("cheetah-run", "expert")]
    path.write_text(json.dumps({**spec, "pairs": [["walker-walk", "medium"]]}))
    with pytest.raises(LawmError, match=r"has the pair \['walker-walk', 'medium'\]; each pair must be"):
        load_grid(str(path))


def test_missing_label_fractions_are_label_splits_of_a_file_already_there(tmp_path):
    there, missing = tmp_path / "lf0.5.h5", tmp_path / "lf0.25.h5"
    random_dataset(episodes=4, label_fraction=0.5, seed=3).save(there)
    make_datasets(DatasetJob("walker-walk", "random", 4, 3, ((0.25, str(missing)), (0.5, str(there)))))
    small, large = Dataset.load(missing), Dataset.load(there)
    assert small.label_fraction == 0.25 and sum(e.labeled for e in small.episodes) == 1
    assert all(np.array_equal(a.observations, b.observations) for a, b in zip(small.episodes, large.episodes))
    assert all(b.labeled for a, b in zip(small.episodes, large.episodes) if a.labeled)  # nested label sets


def test_a_slice_of_fractions_relabels_the_file_of_a_fraction_it_leaves_out(tmp_path):
    grid = GRIDS["tiny"].only(fractions=(0.25,))
    there = dataset_path(tmp_path, grid, "walker-walk", "random", 0.5)
    there.parent.mkdir()
    random_dataset(episodes=4, label_fraction=0.5, seed=7).save(there)  # not the trajectories of data seed 0
    [job] = dataset_jobs(grid, tmp_path)
    make_datasets(job)
    made, source = Dataset.load(dataset_path(tmp_path, grid, "walker-walk", "random", 0.25)), Dataset.load(there)
    assert made.label_fraction == 0.25
    assert all(np.array_equal(a.observations, b.observations) for a, b in zip(made.episodes, source.episodes))
