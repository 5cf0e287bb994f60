"""Online training of the behaviour agents: environment steps, a replay buffer, snapshots, checkpoints.

One agent step = one environment step (two control steps) and, after ``seed_steps`` random ones, one SAC
update. Every ``snapshot_every`` steps the actor is evaluated over ``snapshot_episodes`` episodes, with its
mode and with its stochastic actions (how it acts when it makes datasets), and saved in half precision.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lawm.behaviour.explorer import Disagreement
from lawm.behaviour.sac import SAC, SACConfig, TanhGaussianActor
from lawm.common.config import check_minimums, to_dict
from lawm.common.hardware import check_precision
from lawm.common.files import atomic_path, write_json
from lawm.common.loop import train
from lawm.common.run import RunFolder, seed_everything
from lawm.envs import EPISODE_STEPS, Env, can_terminate, episode_seeds
from lawm.errors import LawmError
from lawm.evaluation import evaluate


@dataclass
class BehaviourConfig(SACConfig):
    algorithm: str = "sac"  # "sac" (task reward) or "explore" (ensemble-disagreement reward alone)
    task: str = "walker-walk"  # dm_control task
    seed: int = 0  # seed of networks, episodes and exploration
    steps: int = 500_000  # agent steps (each two environment steps)
    seed_steps: int = 5_000  # uniform-random steps before the first update
    snapshot_every: int = 10_000  # agent steps between evaluated actor snapshots
    snapshot_episodes: int = 10  # evaluation episodes per snapshot (each mode)
    checkpoint_every: int = 20_000  # agent steps between checkpoints (a multiple of the episode length)
    log_every: int = 1_000  # agent steps between metric lines
    stop_at_return: float = 0.0  # end the run at its first snapshot with this stochastic return (0: run every step)
    ensemble: int = 5  # explorer: forward models in the disagreement ensemble
    ensemble_hidden: int = 128  # explorer: width of each forward model (2 hidden layers)
    ensemble_lr: float = 3e-4  # explorer: their learning rate

    def validate(self) -> None:
        if self.algorithm not in ("sac", "explore"):
            raise LawmError(f"behaviour algorithm must be 'sac' or 'explore', got '{self.algorithm}'")
        if can_terminate(self.task):
            raise LawmError(f"behaviour agents train on dm_control tasks, whose episodes never end early; "
                            f"'{self.task}' is a Gymnasium task")
        if self.checkpoint_every % EPISODE_STEPS:
            raise LawmError(f"checkpoint_every must be a multiple of {EPISODE_STEPS}, got {self.checkpoint_every}")
        check_minimums(self, dict(hidden=1, batch_size=1, steps=1, seed_steps=0, snapshot_every=1,
                                  snapshot_episodes=1, checkpoint_every=1, log_every=1, ensemble=1, ensemble_hidden=1,
                                  stop_at_return=0))
        check_precision(self.precision)


PRESETS = {
    "tiny": dict(hidden=32, ensemble_hidden=32, batch_size=32, steps=1_000, seed_steps=200, snapshot_every=500,
                 snapshot_episodes=2, checkpoint_every=500, log_every=100),
    "default": {},
}


class ReplayBuffer:
    """Transitions in preallocated tensors; ``state_dict`` keeps only the filled part."""

    def __init__(self, capacity: int, obs_dim: int, action_dim: int):
        self.obs = torch.zeros(capacity, obs_dim)
        self.next_obs = torch.zeros(capacity, obs_dim)
        self.actions = torch.zeros(capacity, action_dim)
        self.rewards = torch.zeros(capacity)
        self.size = 0

    def add(self, obs, action, reward, next_obs) -> None:
        i = self.size
        self.obs[i], self.actions[i] = torch.from_numpy(obs), torch.from_numpy(action)
        self.rewards[i], self.next_obs[i] = reward, torch.from_numpy(next_obs)
        self.size += 1

    def sample(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        i = torch.randint(self.size, (batch_size,))
        return self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i]

    def state_dict(self) -> dict:
        n = self.size
        return dict(obs=self.obs[:n].clone(), actions=self.actions[:n].clone(), rewards=self.rewards[:n].clone(),
                    next_obs=self.next_obs[:n].clone())

    def load_state_dict(self, state: dict) -> None:
        n = self.size = len(state["rewards"])
        self.obs[:n], self.actions[:n] = state["obs"], state["actions"]
        self.rewards[:n], self.next_obs[:n] = state["rewards"], state["next_obs"]


class ActorPolicy:
    """A SAC actor as an evaluation policy, acting with its mode or stochastically."""

    def __init__(self, actor: TanhGaussianActor, deterministic: bool):
        self.actor, self.deterministic = actor, deterministic

    def reset(self, num_envs: int) -> None:
        pass

    def act(self, observations: np.ndarray) -> np.ndarray:
        return self.actor.act(observations, self.deterministic)


class OnlineAgent:
    """A behaviour agent learning online in its task; a ``Trainable`` for ``lawm.common.loop.train``."""

    def __init__(self, config: BehaviourConfig, run_dir: Path):
        config.validate()
        self.config, self.run_dir = config, Path(run_dir)
        self.env = Env(config.task)
        obs_dim, action_dim = self.env.observation_dim, self.env.action_dim
        self.sac = SAC(obs_dim, action_dim, config)
        self.explorer = None if config.algorithm != "explore" else Disagreement(
            obs_dim, action_dim, config.ensemble, config.ensemble_hidden, config.ensemble_lr)
        self.buffer = ReplayBuffer(config.steps, obs_dim, action_dim)
        self.rng = np.random.default_rng(config.seed)
        self.obs, self.episode_return = None, 0.0
        self.reached_return = False  # a snapshot has reached ``stop_at_return``: the run is over

    def update(self, step: int) -> dict:
        if step % EPISODE_STEPS == 0:
            self.obs, _ = self.env.reset(seed=episode_seeds([self.config.seed, step // EPISODE_STEPS], 1)[0])
            self.episode_return = 0.0
        if step < self.config.seed_steps:
            action = self.rng.uniform(self.env.action_low, self.env.action_high).astype(np.float32)
        else:
            action = self.sac.actor.act(self.obs[None], deterministic=False)[0]
        next_obs, reward, _, truncated, _ = self.env.step(action)
        self.buffer.add(self.obs, action, reward, next_obs)
        self.obs, self.episode_return = next_obs, self.episode_return + reward
        metrics = self._learn() if step >= self.config.seed_steps else {}
        if truncated:
            metrics["episode_return"] = self.episode_return
        return metrics

    def _learn(self) -> dict:
        obs, action, reward, next_obs = self.buffer.sample(self.config.batch_size)
        if self.explorer is None:
            return self.sac.update(obs, action, reward, next_obs)
        intrinsic = self.explorer.reward(obs, action)
        return {**self.explorer.update(obs, action, next_obs), **self.sac.update(obs, action, intrinsic, next_obs),
                "intrinsic_reward": intrinsic.mean()}

    def snapshot(self, step: int) -> dict[str, float]:
        """Evaluate the actor both ways, save it in half precision and list it in the manifest."""
        task, episodes = self.config.task, self.config.snapshot_episodes
        returns = {mode: evaluate(ActorPolicy(self.sac.actor, mode == "mode"), task, episodes, seed=step)
                   ["mean_return"] for mode in ("mode", "stochastic")}
        folder = self.run_dir / "snapshots"
        name = f"step_{step:07d}.pt"
        with atomic_path(folder / name) as tmp:
            torch.save({k: v.half() for k, v in self.sac.actor.state_dict().items()}, tmp)
        manifest = _read_manifest(folder)
        manifest = [m for m in manifest if m["step"] < step] + [dict(
            file=name, step=step, episodes=step // EPISODE_STEPS, return_mode=returns["mode"],
            return_stochastic=returns["stochastic"])]
        write_json(folder / "manifest.json", dict(task=task, algorithm=self.config.algorithm,
                                                  seed=self.config.seed, hidden=self.config.hidden,
                                                  snapshots=manifest))
        self.reached_return = 0 < self.config.stop_at_return <= returns["stochastic"]
        return {f"snapshot_return_{mode}": value for mode, value in returns.items()}

    def state_dict(self) -> dict:
        return dict(sac=self.sac.state_dict(), optimizer=self.sac.optimizer.state_dict(),
                    explorer=None if self.explorer is None else dict(
                        models=self.explorer.state_dict(), optimizer=self.explorer.optimizer.state_dict()),
                    buffer=self.buffer.state_dict(), rng=self.rng.bit_generator.state,
                    reached_return=self.reached_return)

    def load_state_dict(self, state: dict) -> None:
        self.sac.load_state_dict(state["sac"])
        self.sac.optimizer.load_state_dict(state["optimizer"])
        if self.explorer is not None:
            self.explorer.load_state_dict(state["explorer"]["models"])
            self.explorer.optimizer.load_state_dict(state["explorer"]["optimizer"])
        self.buffer.load_state_dict(state["buffer"])
        self.rng.bit_generator.state = state["rng"]
        self.reached_return = state.get("reached_return", False)  # older checkpoints lack it


def _read_manifest(folder: Path) -> list[dict]:
    path = folder / "manifest.json"
    return json.loads(path.read_text())["snapshots"] if path.exists() else []


def train_behaviour(config: BehaviourConfig, run_dir: str | Path, progress: bool = True) -> Path:
    """Train (or resume) a behaviour agent in ``run_dir``; its snapshots land in ``run_dir/snapshots``."""
    config.validate()
    seed_everything(config.seed)
    # the buffer keeps every step and nothing reads ``steps`` before the end, so a run may be taken further
    run = RunFolder(run_dir, {"algorithm": f"behaviour-{config.algorithm}", **to_dict(config)}, growable=("steps",))
    agent = OnlineAgent(config, run.path)
    train(run, agent, config.steps, log_every=config.log_every, checkpoint_every=config.checkpoint_every,
          description=f"{config.algorithm} {config.task}", precision=agent.sac.precision,
          periodic=[(config.snapshot_every, agent.snapshot)], stop=lambda: agent.reached_return, progress=progress)
    run.close()
    return run.path / "snapshots"
