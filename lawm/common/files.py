"""Atomic file writes and one writer per folder.

A file is written to a temporary name beside its target, ``.<name>.<pid>.tmp``, and renamed into place only
once complete; a temporary file left by a process that was killed mid-write is removed by the next write into
its folder. A folder that one process writes holds an advisory lock (``fcntl.flock`` on ``<folder>/.lock``,
which also records the holder's process id): a second process refuses it, and the lock of a process that
died is free again, since the kernel drops it with the process.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

from lawm.errors import LawmError

LOCK_NAME = ".lock"
_held: dict[Path, tuple[int, int]] = {}  # folders this process has locked -> (lock file descriptor, holds)


@contextlib.contextmanager
def atomic_path(path: str | Path, keep_suffix: bool = False):
    """Yield a temporary path to write; on success it replaces ``path``, on failure it is removed. With
    ``keep_suffix`` the temporary name ends in ``path``'s suffix too (for writers that choose a format by it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix if keep_suffix else ''}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files in ``folder`` of processes that are no longer alive (killed mid-write)."""
    for tmp in folder.glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def write_json(path: str | Path, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def lock_folder(folder: str | Path, what: str = "folder") -> None:
    """Make this process the one writer of ``folder`` until as many ``unlock_folder`` calls (or its end); a
    folder it holds already is held once more. Refuses a folder another live process holds, naming its id."""
    folder = Path(folder).resolve()
    if folder in _held:
        fd, count = _held[folder]
        _held[folder] = fd, count + 1
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise LawmError(f"{what} {folder} is in use by process {holder}; wait for it to end (or stop it) "
                        "before writing there again") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[folder] = fd, 1


def unlock_folder(folder: str | Path) -> None:
    """Undo one ``lock_folder``; after the last, other processes may write ``folder`` again."""
    folder = Path(folder).resolve()
    fd, count = _held.get(folder, (None, 0))
    if count > 1:
        _held[folder] = fd, count - 1
    elif fd is not None:
        del _held[folder]
        os.close(fd)
