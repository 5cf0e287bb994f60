"""LAWM and C-LAP agents: fit a world model, then a latent-action policy inside it, then act through the filter.

``LAWM(config).fit(dataset)`` trains on every trajectory (the action-free ones through the IDM) with the
standard-normal latent action prior; ``CLAP(config).fit(dataset)`` trains the same model with a learned prior
on the labeled trajectories only, or with ``oracle=True`` on every trajectory with its true actions. Both
phases run as one resumable loop: steps [0, model_steps) train the world model, the rest the policy. When the
policy phase begins, every training trajectory is filtered once, whole, through the finished model; imagined
rollouts start from posterior states drawn from that cache. With ``model_from`` a run starts its policy phase
from the world model of another run (same model settings), so that policy settings can be compared on one model.
Rerun with more ``policy_steps``, a run (finished or not) trains its policy on from its checkpoint.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from lawm.common.config import from_dict, to_dict
from lawm.common.device import torch_device
from lawm.common.hardware import autocast, resolve_precision
from lawm.common.loop import train
from lawm.common.run import (RunFolder, final_state, is_finished, read_checkpoint, rng_state, saved_config,
                             seed_everything)
from lawm.data import Dataset, WindowSampler
from lawm.envs import Env, can_terminate
from lawm.errors import LawmError
from lawm.evaluation import evaluate
from lawm.latent_policy.policy import LatentActorCritic
from lawm.world_model import Config, WorldModel
from lawm.world_model.config import BEFORE_FIELDS_EXISTED, WORLD_MODEL_FIELDS, saved_fields
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
                                observation_std, self.learned_prior or self.config.learned_prior,
                                continuation).to(self.device)
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
        run = RunFolder(run_dir, self.run_config(dataset, dataset_path), BEFORE_FIELDS_EXISTED,
                        growable=("policy_steps",))
        if c.model_from and run.load_checkpoint() is None:
            run.save_checkpoint(training.branch_from(Path(c.model_from), run.config))
        seconds = train(run, training, c.model_steps + c.policy_steps, log_every=c.log_every,
                        checkpoint_every=c.checkpoint_every, description=f"{self.algorithm} {data.env_id}",
                        precision=training.precision, progress=progress,
                        periodic=[(c.diagnostics_every, training.diagnostics), (1, training.learning_curve)])
        if not is_finished(run.path):
            result = training.evaluations.get(c.model_steps + c.policy_steps) or training.evaluate()
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
    """Both phases as one Trainable of ``lawm.common.loop.train``, with the diagnostics and learning curve."""

    def __init__(self, agent: LatentActionAgent, data: Dataset):
        c, self.agent, self.config, self.data = agent.config, agent, agent.config, data
        self.precision = resolve_precision(c.precision, agent.device)
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
        self.starts: State | None = None  # the policy phase's start states, filtered once from the finished model
        self.evaluations: dict[int, dict] = {}  # step -> evaluation of the policy (the learning curve)

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
        batch = self.samplers["train"].sample_mixed(self.config.batch_size, self.config.labeled_share)
        with autocast(self.precision, self.agent.device):
            loss, metrics = self.agent.model.loss(batch)
        self._step("model", loss)
        return {f"model/{name}": value for name, value in metrics.items()}

    def policy_update(self) -> dict:
        """Imagined rollouts from posterior states of the training data, through the frozen model."""
        c, model, policy = self.config, self.agent.model.requires_grad_(False), self.agent.policy
        if self.starts is None:
            self.starts = self.filter_trajectories()
        index = torch.randint(len(self.starts.deter), (c.policy_starts,), device=self.agent.device)
        with autocast(self.precision, self.agent.device):
            actor_loss, critic_loss, metrics = policy.losses(model, State(*(part[index] for part in self.starts)))
        self._step("actor", actor_loss)
        self._step("critic", critic_loss)
        policy.update_targets()
        return {f"policy/{name}": value for name, value in metrics.items()}

    @torch.no_grad()
    def filter_trajectories(self, chunk: int = 256) -> State:
        """The posterior states of every step of every training trajectory, each filtered once, whole, from
        its first observation (posterior means; unlabeled ones through the IDM's decoded actions, Eq. 6)."""
        model, device, parts = self.agent.model, self.agent.device, []
        by_length: dict[int, list] = {}
        for episode in self.data.episodes:
            by_length.setdefault(episode.length, []).append(episode)
        for length, episodes in by_length.items():
            unlabeled = np.zeros((length, self.data.action_dim), np.float32)  # no loss reads them (Eq. 6 decodes)
            for first in range(0, len(episodes), chunk):
                group = episodes[first:first + chunk]
                observations = torch.as_tensor(np.stack([e.observations for e in group]), device=device)
                actions = torch.as_tensor(np.stack([e.actions if e.labeled else unlabeled for e in group]),
                                          device=device)
                labeled = torch.as_tensor([e.labeled for e in group], device=device)
                with autocast(self.precision, device):
                    states = model.filter(model.embed(observations), actions, labeled, sample=False)["states"]
                parts.append(State(*(part.flatten(0, 1).float() for part in states)))
        return State(*(torch.cat(part) for part in zip(*parts)))

    def evaluate(self) -> dict:
        c = self.config
        return evaluate(self.agent, self.data.env_id, c.eval_episodes, c.seed, reference=self.data.reference_scores)

    def learning_curve(self, step: int) -> dict:
        """The policy's score in the environment every ``eval_every`` policy steps (``eval_score``)."""
        c = self.config
        policy_step = step - c.model_steps
        if not c.eval_every or policy_step <= 0 or (policy_step % c.eval_every and policy_step != c.policy_steps):
            return {}
        self.evaluations[step] = self.evaluate()
        return dict(eval_score=self.evaluations[step]["normalized_score"])

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

    def branch_from(self, source: Path, config: dict) -> dict:
        """A first checkpoint for this run: the world model (and its optimiser) of the run folder ``source``,
        whose model phase has ended, with fresh policy networks, at the start of the policy phase."""
        theirs = {**to_dict(Config()), **saved_fields(saved_config(source))}
        differs = [k for k in WORLD_MODEL_FIELDS + ("task", "dataset", "algorithm", "oracle")
                   if theirs.get(k) != config.get(k)]
        if differs:
            raise LawmError(f"model_from={source} was made with {differs[0]}={theirs.get(differs[0])!r}, not "
                            f"{config.get(differs[0])!r}; its world model fits another setting")
        state = read_checkpoint(source)
        if state is None or state["step"] < self.config.model_steps:
            raise LawmError(f"model_from={source} has not finished its {self.config.model_steps} world-model steps")
        self.agent.model.load_state_dict(state["agent"]["model"])
        self.optimizers["model"].load_state_dict(state["agent"]["optimizers"]["model"])
        return dict(agent=self.state_dict(), rng=rng_state(), step=self.config.model_steps, seconds=0.0)

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
    fields = {name: value for name, value in saved_fields(config).items()
              if name not in ("algorithm", "task", "dataset", "oracle", "reference_scores")}
    cls = AGENTS[config["algorithm"]]
    agent = cls(from_dict(Config, fields), **({"oracle": config["oracle"]} if cls is CLAP else {}))
    state = final_state(run_dir)
    env = Env(config["task"])
    agent.build(env.observation_dim, env.action_low, env.action_high, continuation=can_terminate(config["task"]))
    agent.load_state_dict(state["agent"])
    return agent
