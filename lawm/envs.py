"""Seeded environments with flat float32 state observations (design section 2), by name.

DeepMind Control Suite tasks are named ``domain-task`` (``walker-walk``). An agent step repeats the action for
``ACTION_REPEAT`` physics-control steps and sums their rewards, so an episode of 1000 control steps is
``EPISODE_STEPS`` = 500 agent steps and its return lies in [0, 1000]; they never terminate. The full state is
flattened to one vector with the observation keys in sorted order.

Gymnasium tasks with a Box action space are named ``gym:<id>`` (``gym:Hopper-v5``), so that a dataset file
says which simulator made it. One agent step is one Gymnasium step (the task's own frame skip); an episode
ends at a termination (a hopper falls) or at the task's time limit.

Rendering (``render_size``) needs an OpenGL backend chosen before MuJoCo is imported: ``enable_rendering``.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("MUJOCO_GL", "disable")  # physics only, unless enable_rendering() ran first

import functools

import numpy as np

from lawm.errors import LawmError

ACTION_REPEAT = 2
EPISODE_STEPS = 500
MAIN_TASKS = ("cheetah-run", "walker-walk", "hopper-stand")
GYM_PREFIX = "gym:"
RENDER_BACKENDS = ("egl", "osmesa")


def enable_rendering() -> str:
    """Choose a headless OpenGL backend for MuJoCo (``MUJOCO_GL`` if it names one, else EGL), check that it
    makes a context, and return it. Must run before MuJoCo is imported, which it checks."""
    backend = os.environ.get("MUJOCO_GL", "disable")
    if backend not in RENDER_BACKENDS:
        if "mujoco" in sys.modules:
            raise LawmError("rendering must be enabled before MuJoCo is imported; set MUJOCO_GL=egl or osmesa")
        backend = os.environ["MUJOCO_GL"] = "egl"
    os.environ.setdefault("PYOPENGL_PLATFORM", backend)
    import mujoco

    try:
        context = mujoco.GLContext(16, 16)
        context.make_current()
        context.free()
    except Exception as error:  # the OpenGL stack fails in many ways: any of them means no rendering here
        raise LawmError(f"headless rendering with MUJOCO_GL={backend} does not work here ({error!r}); it needs "
                        f"Debian's libegl1 and libgl1-mesa-dri (egl) or libosmesa6 (osmesa)") from None
    return backend


def can_terminate(name: str) -> bool:
    """Whether episodes of the task may end before its time limit (Gymnasium tasks; DMC tasks never do)."""
    return name.startswith(GYM_PREFIX)


def Env(name: str, seed: int | None = None, render_size: int | None = None):
    """The environment named ``name``: a ``DMCEnv`` or, for ``gym:<id>``, a ``GymEnv``. With ``render_size``
    its ``render()`` returns square RGB frames of that many pixels a side."""
    cls = GymEnv if can_terminate(name) else DMCEnv
    return cls(name, seed, render_size)



@functools.cache
def _suite():
    """dm_control's suite, imported on first use: code that only trains on files needs no simulator."""
    from absl import logging as absl_logging
    from dm_control import suite

    absl_logging.set_verbosity(absl_logging.ERROR)  # MuJoCo's model deprecation notices are not the user's concern
    return suite


def task_names() -> list[str]:
    """Every dm_control suite task as ``domain-task``."""
    return sorted(f"{domain}-{task}" for domain, task in _suite().ALL_TASKS)


def _domain_and_task(name: str) -> tuple[str, str]:
    if name not in task_names():
        raise LawmError(f"unknown task '{name}'; known dm_control tasks are: {', '.join(task_names())}; "
                        f"Gymnasium tasks are named {GYM_PREFIX}<id>, such as {GYM_PREFIX}Hopper-v5")
    domain, task = name.split("-", 1)
    return domain, task


def episode_seeds(seed: int | list[int], count: int) -> list[int]:
    """``count`` independent 32-bit seeds derived from a seed or a list of them (same seed, same list)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count)]


class DMCEnv:
    """One dm_control task with a Gymnasium-style interface: ``reset(seed=)``, ``step(action)``, ``render()``."""

    max_steps = EPISODE_STEPS

    def __init__(self, name: str, seed: int | None = None, render_size: int | None = None):
        domain, task = _domain_and_task(name)
        self.name, self.render_size = name, render_size
        self._env = _suite().load(domain, task, task_kwargs={"random": seed})
        self._keys = sorted(self._env.observation_spec())
        spec = self._env.action_spec()
        self.action_low = spec.minimum.astype(np.float32)
        self.action_high = spec.maximum.astype(np.float32)
        self.action_dim = int(spec.shape[0])
        self.observation_dim = int(sum(np.prod(s.shape, dtype=int) for s in self._env.observation_spec().values()))
        self._steps = 0

    def _flatten(self, observation) -> np.ndarray:
        return np.concatenate([np.asarray(observation[k], np.float32).ravel() for k in self._keys])

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode; a seed makes its initial state reproducible."""
        if seed is not None:
            self._env.task._random = np.random.RandomState(seed)  # noqa: SLF001 (dm_control keeps the task RNG here)
        self._steps = 0
        return self._flatten(self._env.reset().observation), {}

    def step(self, action) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Apply ``action`` for ``ACTION_REPEAT`` control steps; DMC tasks never terminate, they time out."""
        if self._steps >= EPISODE_STEPS:
            raise LawmError(f"the {self.name} episode is over after {EPISODE_STEPS} steps; call reset() first")
        action = np.clip(np.asarray(action, np.float64), self.action_low, self.action_high)
        reward = 0.0
        for _ in range(ACTION_REPEAT):
            step = self._env.step(action)
            reward += step.reward or 0.0
        self._steps += 1
        return self._flatten(step.observation), float(reward), False, self._steps >= EPISODE_STEPS, {}

    def render(self) -> np.ndarray:
        """The current frame [S, S, 3] uint8 from the task's first camera."""
        return self._env.physics.render(self.render_size, self.render_size, camera_id=0)

    def close(self) -> None:
        """Free the simulator (and its OpenGL context, if it rendered)."""
        self._env.close()


@functools.cache
def _gymnasium():
    try:
        import gymnasium
    except ImportError:
        raise LawmError("Gymnasium tasks need Gymnasium: pip install 'lawm[gym]'") from None
    return gymnasium


class GymEnv:
    """One Gymnasium task (``gym:<id>``) with a flat Box observation and a Box action space."""

    def __init__(self, name: str, seed: int | None = None, render_size: int | None = None):
        gym, env_id = _gymnasium(), name[len(GYM_PREFIX):]
        try:
            spec = gym.spec(env_id)
        except gym.error.Error as error:
            raise LawmError(f"unknown task '{name}': Gymnasium has no environment '{env_id}' ({error})") from None
        options = {}
        if render_size:
            options = dict(render_mode="rgb_array")
            if "mujoco" in str(spec.entry_point):
                options.update(width=render_size, height=render_size)
        self._env = gym.make(env_id, **options)
        action, observation = self._env.action_space, self._env.observation_space
        if not isinstance(action, gym.spaces.Box) or not isinstance(observation, gym.spaces.Box):
            raise LawmError(f"task '{name}' needs Box observation and action spaces, it has "
                            f"{type(observation).__name__} and {type(action).__name__}")
        if not spec.max_episode_steps:
            raise LawmError(f"task '{name}' has no time limit (max_episode_steps), so its episodes may never end")
        self.name, self.max_steps, self._seed = name, int(spec.max_episode_steps), seed
        self.action_low, self.action_high = action.low.astype(np.float32), action.high.astype(np.float32)
        self.action_dim, self.observation_dim = int(action.shape[0]), int(np.prod(observation.shape))

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode; a seed makes its initial state reproducible."""
        observation, _ = self._env.reset(seed=self._seed if seed is None else seed)
        self._seed = None  # the constructor's seed starts the first episode only
        return np.asarray(observation, np.float32).ravel(), {}

    def step(self, action) -> tuple[np.ndarray, float, bool, bool, dict]:
        """One Gymnasium step with ``action`` clipped into the box; terminated and truncated as Gymnasium says."""
        action = np.clip(np.asarray(action, np.float32), self.action_low, self.action_high)
        observation, reward, terminated, truncated, _ = self._env.step(action)
        return np.asarray(observation, np.float32).ravel(), float(reward), bool(terminated), bool(truncated), {}

    def render(self) -> np.ndarray:
        """The current frame [H, W, 3] uint8."""
        return self._env.render()

    def close(self) -> None:
        """Free the simulator (and its OpenGL context, if it rendered)."""
        self._env.close()


class VectorEnv:
    """``num_envs`` copies of one task stepped in lockstep: arrays in, arrays out, for batched policies.

    ``running`` says which copies' episodes go on; a copy whose episode ended (terminated or truncated) is no
    longer stepped: it repeats its final observation with reward 0 and its end flags until ``reset``.
    """

    def __init__(self, name: str, num_envs: int, render_size: int | None = None):
        if num_envs < 1:
            raise LawmError(f"num_envs must be at least 1, got {num_envs}")
        self.envs = [Env(name, render_size=render_size) for _ in range(num_envs)]
        first = self.envs[0]
        self.name, self.num_envs, self.max_steps = name, num_envs, first.max_steps
        self.observation_dim, self.action_dim = first.observation_dim, first.action_dim
        self.action_low, self.action_high = first.action_low, first.action_high
        self.running = np.zeros(num_envs, bool)
        self._last: list[tuple] = []

    def reset(self, seeds: int | list[int]) -> tuple[np.ndarray, dict]:
        """Reset every copy; an int is expanded with ``episode_seeds``, a list gives one seed per copy."""
        seeds = episode_seeds(seeds, self.num_envs) if isinstance(seeds, (int, np.integer)) else list(seeds)
        if len(seeds) != self.num_envs:
            raise LawmError(f"reset got {len(seeds)} seeds for {self.num_envs} environments")
        observations = [env.reset(seed)[0] for env, seed in zip(self.envs, seeds)]
        self.running[:] = True
        self._last = [(obs, 0.0, False, False, {}) for obs in observations]
        return np.stack(observations), {}

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step every running copy with its row of ``actions`` [num_envs, action_dim]."""
        for i, (env, action) in enumerate(zip(self.envs, np.asarray(actions))):
            if self.running[i]:
                self._last[i] = env.step(action)
                self.running[i] = not (self._last[i][2] or self._last[i][3])
            else:
                self._last[i] = (self._last[i][0], 0.0, *self._last[i][2:])
        obs, rewards, terminated, truncated, _ = zip(*self._last)
        return (np.stack(obs), np.asarray(rewards, np.float32), np.asarray(terminated),
                np.asarray(truncated), {})

    def render(self, count: int | None = None, columns: int = 5) -> np.ndarray:
        """One frame of each of the first ``count`` copies (all by default), tiled in rows of ``columns``
        (blank tiles fill the last row)."""
        frames = [env.render() for env in self.envs[:count]]
        blank = np.zeros_like(frames[0])
        frames += [blank] * (-len(frames) % columns if len(frames) > columns else 0)
        columns = min(columns, len(frames))
        rows = [np.concatenate(frames[i:i + columns], 1) for i in range(0, len(frames), columns)]
        return np.concatenate(rows, 0)

    def close(self) -> None:
        """Close every copy."""
        for env in self.envs:
            env.close()
