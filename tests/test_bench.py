"""``lawm bench`` end to end on the tiny grid (skip finished, resume unfinished), ``lawm report``, grid specs."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import random_dataset, run_lawm

from lawm.bench.cells import Cell, run_cell
from lawm.bench.grids import GRIDS, load_grid
from lawm.bench.report import iqm, load_curves, stratified_bootstrap_iqm
from lawm.bench.runner import choose_backend
from lawm.errors import LawmError


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """The tiny grid, run once with the local backend: 2 label fractions x 3 methods x 2 seeds."""
    out = tmp_path_factory.mktemp("bench")
    done = run_lawm("bench", "--grid", "tiny", "--out", out, "--workers", "2")
    assert "12 cells, 0 finished, 12 to run" in done.stdout
    return out


def cell_dirs(out):
    return sorted(path.parent for path in out.glob("runs/**/cell.json"))


def test_tiny_grid_runs_every_cell_on_shared_datasets(bench):
    cells = cell_dirs(bench)
    assert len(cells) == 12 and all((cell / "eval.json").exists() for cell in cells)
    assert sorted(p.name for p in (bench / "datasets").iterdir()) == [
        "walker-walk-random-4ep-seed0-lf0.25.h5", "walker-walk-random-4ep-seed0-lf0.5.h5"]
    methods = {json.loads((cell / "config.json").read_text())["algorithm"] for cell in cells}
    assert methods == {"td3bc", "idm-td3bc"}
    oracle = [json.loads((c / "eval.json").read_text())["transitions"] for c in cells if "td3bc-oracle" in str(c)]
    assert oracle == [4 * 500] * 4


def test_rerun_skips_finished_cells_and_resumes_unfinished_ones(bench):
    cells = cell_dirs(bench)
    unfinished = bench / "runs/walker-walk/random/lf0.5/td3bc/seed1"
    (unfinished / "eval.json").unlink()
    checkpoint = torch.load(unfinished / "checkpoint.pt", weights_only=True)
    checkpoint["step"] = 100  # as if the cell had been stopped halfway
    torch.save(checkpoint, unfinished / "checkpoint.pt")
    before = (unfinished / "metrics.jsonl").read_text().splitlines()
    others = {cell: (cell / "eval.json").stat().st_mtime_ns for cell in cells if cell != unfinished}

    done = run_lawm("bench", "--grid", "tiny", "--out", bench, "--workers", "2")
    assert "12 cells, 11 finished, 1 to run" in done.stdout
    assert (unfinished / "eval.json").exists()
    after = (unfinished / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in after] == [50, 100, 150, 200]
    assert after[:2] == before[:2] and after[2:] != before[2:]  # steps 101-200 trained again, 1-100 kept
    assert {cell: (cell / "eval.json").stat().st_mtime_ns for cell in others} == others


def test_report_rebuilds_table_iqm_and_figures_from_the_result_files(bench):
    run_lawm("report", bench)
    report = (bench / "report.md").read_text()
    assert report.count("| task | dataset | TD3+BC (Oracle) | TD3+BC | IDM-TD3+BC |") == 2
    assert report.count("| **average** |") == 2 and "| IDM-TD3+BC |" in report
    scores = [json.loads(p.read_text())["normalized_score"]
              for p in sorted(bench.glob("runs/walker-walk/random/lf0.25/td3bc/seed*/eval.json"))]
    assert f"{np.mean(scores):.1f} ± {np.std(scores, ddof=1):.1f}" in report.split("## Label fraction 0.5")[0]
    for name in ("scores_lf0.25.png", "scores_lf0.5.png", "curves_lf0.25.png", "curves_lf0.5.png",
                 "label_fractions.png"):
        assert (bench / name).read_bytes().startswith(b"\x89PNG")
    assert report.count("![curves](curves_lf") == 2
    curves = load_curves(bench)
    assert len(curves) == 12 and {c["steps"] for c in curves} == {(100, 200)}


def test_ray_backend_runs_a_cell_on_a_local_ray_instance(bench, tmp_path):
    pytest.importorskip("ray")
    shutil.copytree(bench / "datasets", tmp_path / "datasets")
    grid = tmp_path / "one.json"
    grid.write_text(json.dumps(dict(tasks=["walker-walk"], kinds=["random"], methods=["td3bc"], seeds=[5],
                                    label_fractions=[0.25], episodes=4, preset="tiny")))
    done = run_lawm("bench", "--grid", grid, "--out", tmp_path, "--backend", "ray", "--workers", "1")
    assert "grid one: 1 cells, 0 finished, 1 to run (ray backend" in done.stdout
    result = json.loads((tmp_path / "runs/walker-walk/random/lf0.25/td3bc/seed5/eval.json").read_text())
    assert result["seed"] == 5


def test_the_auto_backend_is_ray_only_where_a_cluster_is_named(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert choose_backend("auto") == "local"
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    assert (choose_backend("auto"), choose_backend("local")) == ("ray", "local")
    with pytest.raises(LawmError, match="unknown backend 'slurm'"):
        choose_backend("slurm")


def test_a_slice_of_a_grid_runs_only_its_methods_seeds_datasets_and_fractions(bench):
    done = run_lawm("bench", "--grid", "tiny", "--out", bench, "--methods", "td3bc,idm-td3bc", "--seeds", "1")
    assert "grid tiny: 4 cells, 4 finished, 0 to run" in done.stdout
    recorded = json.loads((bench / "grid.json").read_text())
    assert recorded["methods"] == ["td3bc", "td3bc-oracle", "idm-td3bc"] and recorded["seeds"] == [0, 1]  # the whole grid
    outside = run_lawm("bench", "--grid", "tiny", "--out", bench, "--methods", "lawm", check=False)
    assert outside.returncode == 2
    assert outside.stderr == ("lawm: error: grid 'tiny' has no method 'lawm'; its methods: td3bc, td3bc-oracle, "
                              "idm-td3bc\n")
    nothing = run_lawm("bench", "--grid", "tiny", "--out", bench, "--methods", ",", check=False)
    assert nothing.stderr == "lawm: error: grid 'tiny' needs a non-empty list of methods\n"
    random = run_lawm("bench", "--grid", "tiny", "--out", bench, "--datasets", "walker-walk/random", "--seeds", "0")
    assert "grid tiny: 6 cells, 6 finished, 0 to run" in random.stdout
    halved = run_lawm("bench", "--grid", "tiny", "--out", bench, "--datasets", "walker-walk", check=False)
    assert halved.returncode == 2 and "datasets must be comma-separated task/kind pairs" in halved.stderr
    quarter = run_lawm("bench", "--grid", "tiny", "--out", bench, "--fractions", "0.25", "--seeds", "1")
    assert "grid tiny: 3 cells, 3 finished, 0 to run" in quarter.stdout
    tenth = run_lawm("bench", "--grid", "tiny", "--out", bench, "--fractions", "0.1", check=False)
    assert tenth.stderr == "lawm: error: grid 'tiny' has no label fraction '0.1'; its label fractions: 0.25, 0.5\n"
    percent = run_lawm("bench", "--grid", "tiny", "--out", bench, "--fractions", "5%", check=False)
    assert percent.returncode == 2 and "label fractions must be comma-separated numbers, got '5%'" in percent.stderr


def test_a_slice_of_the_claim_grid_makes_and_runs_only_its_datasets(tmp_path):
    walker = GRIDS["claim"].only(datasets=(("walker-walk", "explore"),))
    assert walker.datasets() == [("walker-walk", "explore")] and len(walker.cells(tmp_path)) == 6 * 3
    assert walker.cells(tmp_path)[0] == GRIDS["claim"].cells(tmp_path)[0]  # the same dataset file and run folder
    with pytest.raises(LawmError, match="grid 'claim' has no dataset 'cheetah-run/explore'; its datasets: "
                                        "walker-walk/explore, cheetah-run/medium-replay, "):
        GRIDS["claim"].only(datasets=(("cheetah-run", "explore"),))


def test_the_learned_prior_method_is_lawm_with_c_laps_prior(tmp_path):
    data = tmp_path / "random.h5"
    random_dataset(episodes=4, label_fraction=0.5, seed=0).save(data)
    cell = Cell("walker-walk", "random", 0.5, "lawm-prior", 0, "tiny", str(data), str(tmp_path / "run"))
    assert run_cell(cell).startswith("score ")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["algorithm"], config["learned_prior"]) == ("lawm", True)


def stat_fields(process: Path) -> list[str]:
    """The fields of /proc/PID/stat after the command name: state, parent pid, ..."""
    return (process / "stat").read_text().rsplit(")", 1)[1].split()


def pool_workers(parent: int) -> list[int]:
    """The pids of the process pool workers whose parent is ``parent``."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if int(stat_fields(process)[1]) == parent and b"spawn_main" in (process / "cmdline").read_bytes():
                found.append(int(process.name))
        except (OSError, ValueError, IndexError):
            pass  # the process ended while being read
    return found


def running(pid: int) -> bool:
    try:
        return stat_fields(Path(f"/proc/{pid}"))[0] != "Z"
    except OSError:
        return False


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_bench_ends_its_pool_workers(tmp_path):
    bench = subprocess.Popen([sys.executable, "-m", "lawm", "bench", "--grid", "tiny", "--out", str(tmp_path),
                              "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert wait_for(lambda: pool_workers(bench.pid)), "the bench never started a pool worker"
    workers = pool_workers(bench.pid)
    bench.kill()  # no chance to clean up, as with a scheduler's SIGKILL
    bench.wait()
    try:
        assert wait_for(lambda: not any(map(running, workers)), 30), "a pool worker outlived lawm bench"
    finally:
        for pid in filter(running, workers):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("options, message", [
    (["--grid", "huge"], "unknown grid 'huge'"),
    (["--grid", "tiny", "--workers", "0"], "--workers must be at least 1, got 0"),
])
def test_a_bad_grid_name_or_worker_count_gets_one_sentence(tmp_path, options, message):
    done = run_lawm("bench", *options, "--out", tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith(f"lawm: error: {message}") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("fields, message", [
    (dict(methods=["td3bc", "dreamer"]), "unknown method 'dreamer'"),
    (dict(kinds=["expert", "perfect"]), "unknown kind 'perfect'"),
    (dict(tasks=["walker-run-fast"]), "unknown task 'walker-run-fast'"),
    (dict(seeds=[]), "non-empty list of seeds"),
    (dict(label_fractions=[0.0]), r"label fractions in \(0, 1\]"),
    (dict(preset="huge"), "unknown preset 'huge'"),
    (dict(workers=2), "unknown field 'workers'"),
])
def test_bad_grid_files_get_one_sentence(tmp_path, fields, message):
    spec = {**dict(tasks=["walker-walk"], kinds=["random"], methods=["td3bc"], seeds=[0]), **fields}
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(LawmError, match=message):
        load_grid(str(path))


def test_named_grids_cover_the_protocol():
    paper = GRIDS["paper"]
    assert len(paper.tasks) * len(paper.kinds) == 12 and len(paper.methods) == 6 and paper.episodes == 2000
    reduced = GRIDS["reduced"]
    assert reduced.tasks == ("walker-walk",) and len(reduced.methods) == 6 and len(reduced.seeds) == 3


def test_iqm_and_its_stratified_bootstrap_interval():
    assert iqm(np.arange(1.0, 9.0)) == pytest.approx(4.5)  # the mean of 3, 4, 5, 6
    value, low, high = stratified_bootstrap_iqm([np.full(4, 7.0), np.full(3, 7.0)])
    assert value == low == high == 7.0
    value, low, high = stratified_bootstrap_iqm([np.array([0.0, 10, 20, 30]), np.array([50.0, 60, 70])])
    assert low < value < high and value == pytest.approx(iqm(np.array([0.0, 10, 20, 30, 50, 60, 70])))
