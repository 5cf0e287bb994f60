"""LAWM and C-LAP agents: fit a world model, then a latent-action policy inside it, then act through the filter.

``LAWM(config).fit(dataset)`` trains on every trajectory (the action-free ones through the IDM) with the
standard-normal latent action prior; ``CLAP(config).fit(dataset)`` trains the same model with a learned prior
on the labeled trajectories only, or with ``oracle=True`` on every trajectory with its true actions. Both
phases run as one resumable loop: steps [0, model_steps) train the world model, the rest the policy.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from lawm.common.config import from_dict, to_dict
from lawm.common.device import torch_device
from lawm.common.loop import train
from lawm.common.run import RunFolder, is_finished, seed_everything
from lawm.data import Dataset, WindowSampler
from lawm.envs import Env, can_terminate
from lawm.errors import LawmError
from lawm.evaluation import evaluate
from lawm.latent_policy.policy import LatentActorCritic
from lawm.world_model import Config, WorldModel
from lawm.world_model.model import OPEN_LOOP_HORIZONS
from lawm.world_model.rssm import State

OPEN_LOOP_CONTEXT = 5  # filtered steps before the open-loop predictions of the diagnostics


class LatentActionAgent:
    """A world model and a latent-action policy; implements the evaluation's Policy protocol."""

    algorithm = ""
    learned_prior = False

    def __init__(self, config: Config | None = None, device: str | torch.device = "cpu"):
        self.config, self.device = config or Config(), torch_device(device)
        self.model: WorldModel | None = None
        self.policy: LatentActorCritic | None = None
        self._state = None

    def training_data(self, dataset: Dataset) -> Dataset:
        """The part of ``dataset`` this method may train on, in the form it may see it."""
        return dataset

    def run_config(self, dataset: Dataset, dataset_path: str) -> dict:
        """What the run folder records: enough to rerun and to rebuild the policy."""
        return dict(algorithm=self.algorithm, task=dataset.env_id, dataset=str(dataset_path),
                    reference_scores=dataset.reference_scores, **to_dict(self.config))

    def build(self, observation_dim: int, action_low: np.ndarray, action_high: np.ndarray,
              observation_mean: np.ndarray | None = None, observation_std: np.ndarray | None = None,
              continuation: bool = False) -> None:
        """The world model (with a continuation head for tasks that can terminate) and the policy."""
        self.model = WorldModel(self.config, observation_dim, action_low, action_high, observation_mean,
                                observation_std, self.learned_prior, continuation).to(self.device)
        self.policy = LatentActorCritic(self.config).to(self.device)

    def state_dict(self) -> dict:
        return dict(model=self.model.state_dict(), policy=self.policy.state_dict())

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.policy.load_state_dict(state["policy"])

    # -- training ---------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, run_dir: str | Path | None = None, dataset_path: str | Path = "",
            progress: bool = True) -> LatentActionAgent:
        """Train both phases into ``run_dir`` (resuming it if it holds a checkpoint), evaluate the final
        policy and write ``eval.json``. Without ``run_dir`` the run lives in a temporary folder."""
        c = self.config
        if run_dir is None:
            with tempfile.TemporaryDirectory() as tmp:
                return self.fit(dataset, tmp, dataset_path, progress)
        data = self.training_data(dataset)
        seed_everything(c.seed)
        training = Training(self, data)
        run = RunFolder(run_dir, self.run_config(dataset, dataset_path))
        seconds = train(run, training, c.model_steps + c.policy_steps, log_every=c.log_every,
                        checkpoint_every=c.checkpoint_every, description=f"{self.algorithm} {data.env_id}",
                        periodic=[(c.diagnostics_every, training.diagnostics)], progress=progress)
        if not is_finished(run.path):
            result = evaluate(self, data.env_id, c.eval_episodes, c.seed, reference=data.reference_scores)
            run.write_result("eval.json", dict(result, train_seconds=seconds))
        run.close()
        return self

    # -- acting (the Policy protocol of lawm.evaluation) ------------------------------------------------
    def reset(self, num_envs: int) -> None:
        self._state, self._action = self.model.rssm.initial(num_envs)

    @torch.no_grad()
    def act(self, observations: np.ndarray) -> np.ndarray:
        """The policy's mode, through the model's filter: the posterior state from the current observation
        and the previous action, a latent action, and the decoded environment action. Call ``reset`` at the
        start of every episode; the first call resets by itself."""
        if self._state is None:
            self.reset(len(observations))
        observations = torch.as_tensor(observations, dtype=torch.float32, device=self.device)
        state = self.model.filter_step(self._state, self._action, observations)
        latent, _ = self.policy.latent(self.model, state.feature, deterministic=True)
        self._state, self._action = state, self.model.decode_action(state.feature, latent)
        return self._action.cpu().numpy()


class LAWM(LatentActionAgent):
    """The latent-action world model on all trajectories, with the standard-normal latent action prior."""

    algorithm = "lawm"

    def training_data(self, dataset: Dataset) -> Dataset:
        if not dataset.label_mask.any():
            raise LawmError(f"LAWM needs at least one labeled trajectory to ground its action decoder, and this "
                            f"{dataset.env_id} dataset has none")
        return dataset


class CLAP(LatentActionAgent):
    """C-LAP: a learned latent action prior, trained on the labeled trajectories (all of them for the oracle)."""

    algorithm = "clap"
    learned_prior = True

    def __init__(self, config: Config | None = None, oracle: bool = False, device: str | torch.device = "cpu"):
        super().__init__(config, device)
        self.oracle = oracle

    def training_data(self, dataset: Dataset) -> Dataset:
        return dataset.oracle() if self.oracle else dataset.labeled_only()

    def run_config(self, dataset: Dataset, dataset_path: str) -> dict:
        return dict(super().run_config(dataset, dataset_path), oracle=self.oracle)


class Training:
    """Both phases as one Trainable of ``lawm.common.loop.train``, with the diagnostics."""

    def __init__(self, agent: LatentActionAgent, data: Dataset):
        c, self.agent, self.config = agent.config, agent, agent.config
        longest = max(e.length for e in data.episodes)
        diagnostics_window = min(OPEN_LOOP_CONTEXT + max(OPEN_LOOP_HORIZONS), longest)
        self.samplers = dict(train=WindowSampler(data, c.window, c.seed, true_actions=True, device=agent.device),
                             diagnostics=WindowSampler(data, diagnostics_window, c.seed + 1, true_actions=True,
                                                       device=agent.device))
        observations = self.samplers["train"].observations
        agent.build(data.observation_dim, data.action_low, data.action_high, observations.mean(0), observations.std(0),
                    can_terminate(data.env_id))
        self.optimizers = dict(model=torch.optim.Adam(agent.model.parameters(), c.model_lr),
                               actor=torch.optim.Adam(agent.policy.actor.parameters(), c.policy_lr),
                               critic=torch.optim.Adam(agent.policy.critics.parameters(), c.policy_lr))

    def update(self, step: int) -> dict:
        return self.model_update() if step < self.config.model_steps else self.policy_update()

    def _step(self, name: str, loss: torch.Tensor) -> None:
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]],
                                       self.config.grad_clip)
        optimizer.step()

    def model_update(self) -> dict:
        loss, metrics = self.agent.model.loss(self.samplers["train"].sample(self.config.batch_size))
        self._step("model", loss)
        return {f"model/{name}": value for name, value in metrics.items()}

    def policy_update(self) -> dict:
        """Imagined rollouts from the posterior states of a data batch, through the frozen model."""
        c, model, policy = self.config, self.agent.model.requires_grad_(False), self.agent.policy
        batch = self.samplers["train"].sample(c.policy_batch_size)
        with torch.autocast(self.agent.device.type, torch.bfloat16, enabled=c.bf16):
            with torch.no_grad():
                states = model.filter(model.embed(batch["observations"]), batch["actions"], batch["labeled"])["states"]
            start = State(*(part.reshape(-1, part.shape[-1]) for part in states))
            actor_loss, critic_loss, metrics = policy.losses(model, start)
        self._step("actor", actor_loss)
        self._step("critic", critic_loss)
        policy.update_targets()
        return {f"policy/{name}": value for name, value in metrics.items()}

    def diagnostics(self, step: int) -> dict:
        """The open-loop prediction error with the true actions, logged during the model phase."""
        if step > self.config.model_steps:
            return {}
        batch = self.samplers["diagnostics"].sample(self.config.batch_size)
        known = torch.isfinite(batch["true_actions"]).all(-1).all(-1)
        if not known.any():
            return {}
        errors = self.agent.model.open_loop_error(batch["observations"][known], batch["true_actions"][known],
                                                  OPEN_LOOP_CONTEXT)
        return {f"model/{name}": value for name, value in errors.items()}

    def state_dict(self) -> dict:
        return dict(self.agent.state_dict(),
                    optimizers={name: opt.state_dict() for name, opt in self.optimizers.items()},
                    samplers={name: s.rng.bit_generator.state for name, s in self.samplers.items()})

    def load_state_dict(self, state: dict) -> None:
        self.agent.load_state_dict(state)
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, sampler in self.samplers.items():
            sampler.rng.bit_generator.state = state["samplers"][name]


AGENTS = {"lawm": LAWM, "clap": CLAP}


def load_policy(run_dir: Path, config: dict) -> LatentActionAgent:
    """The trained agent of a LAWM or C-LAP run folder (``lawm.evaluation.POLICY_LOADERS``)."""
    fields = {name: value for name, value in config.items()
              if name not in ("algorithm", "task", "dataset", "oracle", "reference_scores")}
    cls = AGENTS[config["algorithm"]]
    agent = cls(from_dict(Config, fields), **({"oracle": config["oracle"]} if cls is CLAP else {}))
    state = RunFolder(run_dir, config).final_state()
    env = Env(config["task"])
    agent.build(env.observation_dim, env.action_low, env.action_high, continuation=can_terminate(config["task"]))
    agent.load_state_dict(state["agent"])
    return agent
