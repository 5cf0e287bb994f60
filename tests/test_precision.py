"""The precision every trainer picks from the machine: bf16 only where the hardware multiplies it natively."""
import json

import pytest
import torch
from conftest import random_dataset

from lawm.common import hardware
from lawm.common.config import build
from lawm.common.hardware import resolve_precision, upgrade_fields
from lawm.errors import LawmError
from lawm.latent_policy import LAWM
from lawm.latent_policy.agent import Training
from lawm.world_model import PRESETS, Config

CPU = torch.device("cpu")


@pytest.mark.parametrize("flags, expected", [({"avx2", "fma"}, "fp32"), ({"avx2", "avx512f"}, "fp32"),
                                             ({"avx512f", "avx512_bf16"}, "bf16"), ({"amx_tile", "amx_bf16"}, "bf16")])
def test_auto_takes_bf16_only_where_the_cpu_multiplies_it_natively(flags, expected):
    assert resolve_precision("auto", CPU, flags) == expected
    assert resolve_precision("fp32", CPU, flags) == "fp32"  # an explicit choice stands
    assert resolve_precision("bf16", CPU, flags) == "bf16"


def test_an_unknown_precision_is_refused_in_one_sentence():
    with pytest.raises(LawmError, match="precision must be one of auto, fp32, bf16, got 'fp16'"):
        build(Config, PRESETS, "tiny", ["precision=fp16"])


def test_saved_configs_from_before_precision_name_the_one_they_ran():
    assert upgrade_fields({"bf16": True, "seed": 1}) == {"precision": "bf16", "seed": 1}
    assert upgrade_fields({"bf16": False}) == {"precision": "fp32"}
    assert upgrade_fields({"precision": "auto"}) == {"precision": "auto"}


@pytest.mark.parametrize("flags, expected", [({"avx2"}, "fp32"), ({"amx_bf16"}, "bf16")])
def test_training_runs_and_records_the_precision_the_machine_gets(flags, expected, monkeypatch, tmp_path):
    monkeypatch.setattr(hardware, "cpu_flags", lambda: flags)
    config = build(Config, PRESETS, "tiny", ["model_steps=4", "policy_steps=2", "eval_every=0"])
    data = random_dataset("cheetah-run", episodes=2)
    assert Training(LAWM(config), data).precision == expected
    LAWM(config).fit(data, tmp_path / "run", progress=False)
    sessions = [json.loads(line) for line in (tmp_path / "run" / "sessions.jsonl").read_text().splitlines()]
    assert [(s["step"], s["precision"]) for s in sessions] == [(0, expected)]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["precision"] == "auto"
