"""Videos of evaluation episodes, rendered headless and written as MP4 through imageio's ffmpeg.

Rendering needs an OpenGL backend (``lawm.envs.enable_rendering``: EGL, or OSMesa with ``MUJOCO_GL=osmesa``)
and the ``video`` extra (``imageio[ffmpeg]``). Software rendering costs about 0.05-0.2 s a frame on 2 CPU
cores, so a video films the first few episodes, optionally every few steps.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from lawm.common.files import atomic_path
from lawm.errors import LawmError


class Video:
    """The first ``episodes`` episodes of an evaluation side by side, one frame every ``every`` steps.

    Use it as a context manager: frames stream into a temporary file that becomes ``path`` on success.
    """

    def __init__(self, path: str | Path, episodes: int = 1, every: int = 1, size: int = 128, fps: int = 30):
        if episodes < 1 or every < 1 or size < 16:
            raise LawmError(f"a video needs at least one episode, one step between frames and 16 pixels a side; "
                            f"got episodes={episodes}, every={every}, size={size}")
        if Path(path).suffix.lower() != ".mp4":
            raise LawmError(f"the video file {path} must end in .mp4")
        self.path, self.episodes, self.every, self.size, self.fps = Path(path), episodes, every, size, fps
        self.frames = 0

    def __enter__(self) -> Video:
        try:
            import imageio.v2 as imageio
        except ImportError:
            raise LawmError("videos need imageio with ffmpeg: pip install 'lawm[video]'") from None
        self._atomic = atomic_path(self.path, keep_suffix=True)
        tmp = self._atomic.__enter__()
        self._writer = imageio.get_writer(tmp, format="FFMPEG", fps=self.fps, macro_block_size=16)
        return self

    def add(self, step: int, frame: Callable[[], np.ndarray]) -> None:
        """Film ``frame()`` (rendered only then) when ``step`` is one of every ``every``."""
        if step % self.every == 0:
            self._writer.append_data(frame())
            self.frames += 1

    def __exit__(self, *error) -> None:
        self._writer.close()
        self._atomic.__exit__(*error)
