"""TD3+BC (Fujimoto & Gu, 2021): TD3 with a behaviour-cloning term, the model-free baseline of Table 1.

Trained on the labeled trajectories only (TD3+BC), or on every trajectory with its true actions
(TD3+BC (Oracle)); IDM-TD3+BC (``lawm.baselines.idm``) trains it on IDM-labeled data. The settings are the
original paper's: observation normalization, alpha 2.5, target policy noise 0.2 clipped at 0.5, policy delay
2, soft target updates with tau 0.005, 2 x 256 MLPs, discount 0.99. A transition into a terminal state (the
end of an episode that terminated, as a hopper that falls) does not bootstrap; every other one does, the last
one of an episode that timed out included (DMC episodes never terminate).

Speed on a CPU comes from few, larger kernels: the twin critics are one batched ``EnsembleMLP``, both
optimisers are fused Adam, the target networks move with one ``torch._foreach_lerp_`` each, the actor's
backward pass stops at its own parameters, and no step synchronises through ``.item()``.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lawm.common.config import build, check_minimums, from_dict, to_dict
from lawm.common.hardware import check_precision, matmul_precision, resolve_precision, upgrade_fields
from lawm.common.loop import train
from lawm.common.nets import EnsembleMLP, Normalizer, mlp
from lawm.common.run import RunFolder, final_state, seed_everything
from lawm.data import Dataset
from lawm.envs import Env
from lawm.evaluation import evaluate


@dataclass
class TD3BCConfig:
    dataset: str = ""  # the dataset file (.h5)
    oracle: bool = False  # train on every trajectory with its true actions instead of the labeled ones only
    seed: int = 0  # seed of the networks, the batches and the evaluation episodes
    steps: int = 1_000_000  # gradient steps of the critics
    batch_size: int = 256  # transitions per gradient step
    hidden: int = 256  # width of the actor's and the critics' hidden layers
    layers: int = 2  # hidden layers of the actor and the critics
    actor_lr: float = 3e-4  # Adam learning rate of the actor
    critic_lr: float = 3e-4  # Adam learning rate of the critics
    discount: float = 0.99  # gamma of the TD target
    tau: float = 0.005  # rate of the soft target updates
    policy_noise: float = 0.2  # std of the target policy smoothing noise, in half action ranges
    noise_clip: float = 0.5  # the smoothing noise is clipped to +-noise_clip
    policy_delay: int = 2  # critic steps per actor (and target) step
    alpha: float = 2.5  # weight of the Q term against behaviour cloning: lambda = alpha / mean |Q|
    # LayerNorm in the critics' hidden layers, as ReBRAC (Tarasov et al., 2023) adds to TD3+BC against diverging
    # critics; off: the original TD3+BC, which the paper's baseline is
    critic_layer_norm: bool = False
    precision: str = "auto"  # auto, fp32 or bf16 matmul products (float32 in, out and sums); Q outputs in float32
    eval_episodes: int = 10  # episodes of the final policy in the real environment
    eval_every: int = 20_000  # steps between evaluations logged as a learning curve (0: only the final one)
    log_every: int = 1000  # steps between metric lines
    checkpoint_every: int = 20_000  # steps between checkpoints

    def __post_init__(self):
        check_minimums(self, dict(steps=1, batch_size=1, hidden=1, layers=1, policy_delay=1, eval_episodes=1,
                                  eval_every=0, log_every=1, checkpoint_every=1))
        check_precision(self.precision)


PRESETS = {
    "tiny": dict(steps=200, batch_size=64, hidden=32, eval_episodes=2, eval_every=100, log_every=50,
                 checkpoint_every=100),
    "small": dict(steps=200_000),
    "paper": dict(),
}


def make_config(preset: str = "small", overrides: list[str] = (), **fields) -> TD3BCConfig:
    """The config of ``preset`` with ``--set`` overrides, then ``fields`` (dataset, seed, oracle), applied."""
    return dataclasses.replace(build(TD3BCConfig, PRESETS, preset, overrides), **fields)


class TD3BC(nn.Module):
    """The actor, the twin critics and their targets; actions live in [-1, 1] inside, the task's box outside."""

    def __init__(self, config: TD3BCConfig, normalizer: Normalizer, action_low, action_high):
        super().__init__()
        obs_dim, act_dim = len(normalizer.mean), len(action_low)
        self.normalizer = normalizer
        self.actor = mlp(obs_dim, config.hidden, act_dim, config.layers)
        self.critic = EnsembleMLP(2, obs_dim + act_dim, config.hidden, 1, config.layers,
                                  layer_norm=config.critic_layer_norm)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        low, high = torch.as_tensor(action_low), torch.as_tensor(action_high)
        self.register_buffer("action_center", (high + low) / 2)
        self.register_buffer("action_scale", (high - low) / 2)

    def pi(self, obs: torch.Tensor, target: bool = False) -> torch.Tensor:
        """The actor's (or its target's) action in [-1, 1] for normalized observations [B, D]."""
        return torch.tanh((self.actor_target if target else self.actor)(obs))

    def q(self, obs: torch.Tensor, action: torch.Tensor, target: bool = False) -> torch.Tensor:
        """Both critics' (or their targets') values [2, B]; the output layer multiplies in full float32, so
        that values near 1 / (1 - discount) keep the precision their TD errors need."""
        critic = self.critic_target if target else self.critic
        features = critic.features(torch.cat([obs, action], -1))
        with matmul_precision("fp32"):
            return critic.out(features).squeeze(-1)

    def reset(self, num_envs: int) -> None:
        """The policy is stateless (the evaluation protocol's ``reset``)."""

    @torch.no_grad()
    def act(self, observations: np.ndarray) -> np.ndarray:
        """Deterministic actions in the task's action box for raw observations [N, D]."""
        obs = self.normalizer(torch.as_tensor(observations, dtype=torch.float32))
        return (self.action_center + self.action_scale * self.pi(obs)).numpy()


class Trainer:
    """One TD3+BC update per call on transitions held as tensors (normalized observations, actions in [-1, 1])."""

    def __init__(self, config: TD3BCConfig, agent: TD3BC, transitions: dict[str, torch.Tensor]):
        self.config, self.agent = config, agent
        self.precision = resolve_precision(config.precision, torch.device("cpu"))
        parts = [transitions["obs"], transitions["actions"], transitions["rewards"][:, None],
                 transitions["continues"][:, None], transitions["next_obs"]]
        self.table, self.widths = torch.cat(parts, 1), [part.shape[1] for part in parts]  # one gather per batch
        self.size = len(self.table)
        self.actor_params = list(agent.actor.parameters())
        self.actor_opt = torch.optim.Adam(self.actor_params, lr=config.actor_lr, fused=True)
        self.critic_opt = torch.optim.Adam(agent.critic.parameters(), lr=config.critic_lr, fused=True)
        self.targets = [(list(agent.actor_target.parameters()), self.actor_params),
                        (list(agent.critic_target.parameters()), list(agent.critic.parameters()))]

    def update(self, step: int) -> dict[str, torch.Tensor]:
        with matmul_precision(self.precision):
            return self._update(step)

    def _update(self, step: int) -> dict[str, torch.Tensor]:
        c, agent = self.config, self.agent
        index = torch.randint(self.size, (c.batch_size,))
        obs, action, reward, continues, next_obs = self.table[index].split(self.widths, 1)
        target = self.target(reward.squeeze(1), continues.squeeze(1), next_obs)
        q = agent.q(obs, action)
        critic_loss = (q - target).square().mean(1).sum()
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()
        metrics = dict(critic_loss=critic_loss.detach(), q=q.detach().mean())
        if step % c.policy_delay == 0:
            metrics["actor_loss"] = self._actor_step(obs, action)
            for target_params, params in self.targets:
                torch._foreach_lerp_(target_params, params, c.tau)
        return metrics

    @torch.no_grad()
    def target(self, reward: torch.Tensor, continues: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """The TD target r + gamma * continues * min Q'(o', pi'(o') + clipped noise): ``continues`` is 0 where
        o' is a terminal state, so no value is bootstrapped past a termination."""
        c, agent = self.config, self.agent
        noise = torch.randn(len(next_obs), len(agent.action_scale)) * c.policy_noise
        noise = noise.clamp_(-c.noise_clip, c.noise_clip)
        next_action = (agent.pi(next_obs, target=True) + noise).clamp_(-1, 1)
        return reward + c.discount * continues * agent.q(next_obs, next_action, target=True).amin(0)

    def _actor_step(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Maximise lambda * Q1(s, pi(s)) - (pi(s) - a)^2 with lambda = alpha / mean |Q1| (TD3+BC's Eq. 3)."""
        pi = self.agent.pi(obs)
        q1 = self.agent.q(obs, pi)[0]
        loss = -self.config.alpha / q1.abs().mean().detach() * q1.mean() + F.mse_loss(pi, action)
        self.actor_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=self.actor_params)
        self.actor_opt.step()
        return loss.detach()

    def state_dict(self) -> dict:
        return dict(agent=self.agent.state_dict(), actor_opt=self.actor_opt.state_dict(),
                    critic_opt=self.critic_opt.state_dict())

    def load_state_dict(self, state: dict) -> None:
        self.agent.load_state_dict(state["agent"])
        self.actor_opt.load_state_dict(state["actor_opt"])
        self.critic_opt.load_state_dict(state["critic_opt"])



def transitions(data: Dataset, agent: TD3BC) -> dict[str, torch.Tensor]:
    """Every (o_t, a_t, r_t, o_t+1) of the labeled episodes of ``data``, observations normalized, actions in [-1, 1],
    with ``continues`` 0.0 where o_t+1 is a terminal state and 1.0 elsewhere."""
    episodes = [e for e in data.episodes if e.labeled]

    def cat(arrays) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(arrays))

    with torch.no_grad():
        actions = (cat([e.actions for e in episodes]) - agent.action_center) / agent.action_scale
        return dict(obs=agent.normalizer(cat([e.observations[:-1] for e in episodes])),
                    next_obs=agent.normalizer(cat([e.observations[1:] for e in episodes])),
                    actions=actions.clamp(-1, 1), rewards=cat([e.rewards for e in episodes]),
                    continues=1 - cat([e.terminals for e in episodes]))


def fit(config: TD3BCConfig, data: Dataset, run: RunFolder, progress: bool = True) -> dict:
    """Train on the labeled episodes of ``data`` in ``run`` (resuming), evaluate the final policy, write eval.json."""
    seed_everything(config.seed)
    observations = np.concatenate([e.observations[:-1] for e in data.episodes if e.labeled])
    agent = TD3BC(config, Normalizer.of(observations), data.action_low, data.action_high)
    trainer = Trainer(config, agent, transitions(data, agent))

    evaluations = {}  # step -> evaluation; the curve's last point is the final policy's, so eval.json reuses it

    def learning_curve(step: int) -> dict[str, float]:
        evaluations[step] = evaluate(agent, data.env_id, config.eval_episodes, config.seed,
                                     reference=data.reference_scores)
        score = evaluations[step]["normalized_score"]  # None for a terminating task without reference scores
        return dict(eval_score=evaluations[step]["mean_return"] if score is None else score)

    periodic = [(config.eval_every, learning_curve)] if config.eval_every else []
    seconds = train(run, trainer, config.steps, log_every=config.log_every, checkpoint_every=config.checkpoint_every,
                    description=f"{run.config['algorithm']} {data.env_id}", precision=trainer.precision,
                    periodic=periodic, progress=progress)
    result = evaluations.get(config.steps) or evaluate(agent, data.env_id, config.eval_episodes, config.seed,
                                                       reference=data.reference_scores)
    result.update(train_seconds=seconds, steps=config.steps, transitions=trainer.size)
    run.write_result("eval.json", result)
    run.close()
    return result


def run_config(config: TD3BCConfig, data: Dataset, algorithm: str) -> dict:
    """What a run folder records: the algorithm, the task and every config field."""
    return dict(algorithm=algorithm, task=data.env_id, reference_scores=data.reference_scores, **to_dict(config))


def run(config: TD3BCConfig, run_dir: str | Path, progress: bool = True) -> dict:
    """``lawm train td3bc``: TD3+BC on the labeled episodes, or with ``oracle`` on all with true actions."""
    dataset = Dataset.load(config.dataset)
    data = dataset.oracle() if config.oracle else dataset.labeled_only()
    return fit(config, data, RunFolder(run_dir, run_config(config, dataset, "td3bc")), progress)


def load_policy(run_dir: Path, config: dict) -> TD3BC:
    """The final actor of a TD3+BC or IDM-TD3+BC run folder (``lawm eval``)."""
    fields = {f.name for f in dataclasses.fields(TD3BCConfig)}
    td3bc_config = from_dict(TD3BCConfig, {k: v for k, v in upgrade_fields(config).items() if k in fields})
    state = final_state(run_dir)
    env = Env(config["task"])
    normalizer = Normalizer(np.zeros(env.observation_dim), np.ones(env.observation_dim))
    agent = TD3BC(td3bc_config, normalizer, env.action_low, env.action_high)
    agent.load_state_dict(state["agent"]["agent"])
    return agent.eval()
