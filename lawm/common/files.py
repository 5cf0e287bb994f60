"""Atomic file writes: a temporary file beside the target, renamed into place only once complete."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path, keep_suffix: bool = False):
    """Yield a temporary path to write; on success it replaces ``path``, on failure it is removed. With
    ``keep_suffix`` the temporary name ends in ``path``'s suffix too (for writers that choose a format by it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix if keep_suffix else ''}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | Path, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
