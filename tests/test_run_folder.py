"""The run folder's config contract: a resumed run keeps its settings, and records fields that came later."""
from __future__ import annotations

import json

import pytest

from lawm.common.run import RunFolder
from lawm.errors import LawmError


def test_resuming_records_new_fields_and_refuses_changed_ones(tmp_path):
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, removed=1))
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=20))  # a field added since the run began
    assert json.loads((tmp_path / "config.json").read_text()) == dict(algorithm="td3bc", steps=100, removed=1,
                                                                      eval_every=20)
    with pytest.raises(LawmError, match="was made with eval_every=20, not 10"):
        RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=10))
