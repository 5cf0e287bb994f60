import json

import h5py
import numpy as np
import torch
from conftest import run_lawm


def test_help_lists_every_command():
    out = run_lawm("--help").stdout
    for command in ("data", "train", "eval", "plot", "behaviour"):
        assert command in out
    for sub in (["data", "random"], ["data", "make"], ["data", "stats"], ["data", "table"], ["data", "relabel"],
                ["behaviour", "sac"], ["behaviour", "explore"], ["behaviour", "export"], ["eval"], ["plot"]):
        assert "usage: lawm" in run_lawm(*sub, "--help").stdout


def test_random_stats_plot_relabel(tmp_path):
    data, plot, relabeled = tmp_path / "d.h5", tmp_path / "h.png", tmp_path / "r.h5"
    assert "3 episodes, 1 labeled" in run_lawm("data", "random", "pendulum-swingup", "--episodes", "3",
                                                "--out", data).stdout
    table = run_lawm("data", "stats", data, "--plot", plot).stdout
    assert "| task | dataset | mean | std | min | p25 | median | p75 | max |" in table
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stats = json.loads(run_lawm("data", "stats", data, "--json").stdout)
    assert set(stats) == {"mean", "std", "min", "p25", "median", "p75", "max", "episodes", "labeled", "transitions"}
    assert (stats["episodes"], stats["labeled"], stats["transitions"]) == (3, 1, 1500)
    assert stats["min"] <= stats["p25"] <= stats["median"] <= stats["p75"] <= stats["max"]
    run_lawm("data", "relabel", data, "--label-fraction", "1", "--out", relabeled)
    assert json.loads(run_lawm("data", "stats", relabeled, "--json").stdout)["labeled"] == 3
    markdown, grid = tmp_path / "t.md", tmp_path / "g.png"
    run_lawm("data", "table", data, relabeled, "--markdown", markdown, "--plot", grid)
    assert markdown.read_text().count("| pendulum-swingup | random |") == 2 and grid.exists()


def _assert_one_sentence_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_inputs_exit_nonzero_with_one_sentence(walker_file, tmp_path):
    out = tmp_path / "x.h5"
    _assert_one_sentence_error(run_lawm("data", "random", "walker-sprint", "--out", out, check=False),
                               "unknown task 'walker-sprint'")
    _assert_one_sentence_error(run_lawm("data", "relabel", walker_file, "--label-fraction", "2", "--out", out,
                                        check=False), "label fraction must lie in [0, 1]")
    _assert_one_sentence_error(run_lawm("data", "stats", tmp_path / "missing.h5", check=False), "does not exist")
    broken = tmp_path / "nan.h5"
    broken.write_bytes(walker_file.read_bytes())
    with h5py.File(broken, "r+") as f:
        f["episodes/00002/rewards"][7] = np.nan
    _assert_one_sentence_error(run_lawm("data", "stats", broken, check=False), str(broken), "episode 2",
                               "'rewards'")
    assert not out.exists() and list(tmp_path.glob(".*tmp")) == []
    train = ["train", "lawm", "--dataset", walker_file, "--run", tmp_path / "run", "--preset", "tiny"]
    _assert_one_sentence_error(run_lawm(*train, "--device", "gpu0", check=False), "'gpu0' is not a torch device")
    if not torch.cuda.is_available():
        _assert_one_sentence_error(run_lawm(*train, "--device", "cuda", check=False), "needs CUDA")
    _assert_one_sentence_error(run_lawm("eval", walker_file.parent, check=False), "is not a run folder")
    _assert_one_sentence_error(run_lawm("plot", walker_file.parent, "--out", tmp_path / "curve.png", check=False),
                               "is not a run folder")


def test_behaviour_sac_runs_and_refuses_a_different_config(tmp_path):
    run, preset_args = tmp_path / "sac", ["--preset", "tiny"]
    run_lawm("behaviour", "sac", "pendulum-swingup", "--run", run, *preset_args, "--set", "steps=500")
    manifest = json.loads((run / "snapshots" / "manifest.json").read_text())
    assert [s["step"] for s in manifest["snapshots"]] == [500]
    run_lawm("behaviour", "sac", "pendulum-swingup", "--run", run, *preset_args, "--set", "steps=500")
    clash = run_lawm("behaviour", "sac", "pendulum-swingup", "--run", run, *preset_args, "--set", "steps=500",
                     "--set", "lr=0.1", check=False)
    _assert_one_sentence_error(clash, "was made with lr=0.0003")
