"""Soft actor-critic for state-based DMC, built for speed on a few CPU cores.

The twin critics are one batched ``EnsembleMLP``; critic, actor and temperature losses share one backward
pass and one fused Adam step (the actor reads the critics through detached weights, so no critic weight
gradient is wasted on it); target networks move with one ``_foreach_lerp_``. A DMC episode never
terminates, it times out, so every target bootstraps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from lawm.common.hardware import autocast, resolve_precision
from lawm.common.nets import EnsembleMLP, mlp


@dataclass
class SACConfig:
    hidden: int = 256  # width of the actor and critic MLPs (2 hidden layers each)
    batch_size: int = 256  # transitions per gradient step
    lr: float = 3e-4  # Adam learning rate of actor, critics and temperature
    gamma: float = 0.99  # discount
    tau: float = 0.005  # target critic update rate
    init_temperature: float = 0.1  # initial entropy temperature alpha
    log_std_min: float = -5.0  # lower bound of the actor's log standard deviation
    log_std_max: float = 2.0  # upper bound of the actor's log standard deviation
    precision: str = "auto"  # auto, fp32 or bf16 autocast of the update (lawm.common.hardware: auto = bf16 where native)


class TanhGaussianActor(nn.Module):
    """pi(a | o): a Gaussian squashed by tanh into [-1, 1]^A (DMC action boxes are [-1, 1])."""

    def __init__(self, obs_dim: int, action_dim: int, hidden: int, log_std_min: float, log_std_max: float):
        super().__init__()
        self.net = mlp(obs_dim, hidden, 2 * action_dim)
        self.log_std_min, self.log_std_max = log_std_min, log_std_max

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.net(obs).to(obs.dtype).chunk(2, -1)  # float32 out of bf16 autocast; float64 stays
        log_std = self.log_std_min + 0.5 * (self.log_std_max - self.log_std_min) * (torch.tanh(log_std) + 1)
        return mean, log_std

    def sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised action and its log-probability (with the tanh correction)."""
        mean, log_std = self(obs)
        noise = torch.randn_like(mean)
        pre_tanh = mean + noise * log_std.exp()
        action = torch.tanh(pre_tanh)
        log_prob = (-0.5 * noise.pow(2) - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)
        log_prob = log_prob - (2 * (np.log(2) - pre_tanh - nn.functional.softplus(-2 * pre_tanh))).sum(-1)
        return action, log_prob

    @torch.inference_mode()
    def act(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        obs = torch.as_tensor(obs, dtype=torch.float32)
        action = torch.tanh(self(obs)[0]) if deterministic else self.sample(obs)[0]
        return action.numpy()


class SAC(nn.Module):
    """Actor, twin critics, target critics and temperature, updated in one step by ``update``."""

    def __init__(self, obs_dim: int, action_dim: int, config: SACConfig):
        super().__init__()
        self.config = config
        self.precision = resolve_precision(config.precision, torch.device("cpu"))
        self.actor = TanhGaussianActor(obs_dim, action_dim, config.hidden, config.log_std_min, config.log_std_max)
        self.critic = EnsembleMLP(2, obs_dim + action_dim, config.hidden, 1, layer_norm=True)
        self.target_critic = EnsembleMLP(2, obs_dim + action_dim, config.hidden, 1, layer_norm=True)
        self.target_critic.load_state_dict(self.critic.state_dict())
        self.target_critic.requires_grad_(False)
        self.log_alpha = nn.Parameter(torch.tensor(float(np.log(config.init_temperature))))
        self.target_entropy = -float(action_dim)
        trained = [*self.actor.parameters(), *self.critic.parameters(), self.log_alpha]
        self.optimizer = torch.optim.Adam(trained, lr=config.lr, fused=True)
        self._critic_params = list(self.critic.parameters())
        self._target_params = list(self.target_critic.parameters())

    def update(self, obs, action, reward, next_obs) -> dict[str, torch.Tensor]:
        """One gradient step on a batch of transitions."""
        with autocast(self.precision, torch.device("cpu")):
            losses, metrics = self._losses(obs, action, reward, next_obs)
        self.optimizer.zero_grad(set_to_none=True)
        losses.backward()
        self.optimizer.step()
        with torch.no_grad():
            torch._foreach_lerp_(self._target_params, self._critic_params, self.config.tau)
        return metrics

    def _losses(self, obs, action, reward, next_obs) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Critic, actor and temperature losses summed (their parameters are disjoint) and metrics."""
        alpha = self.log_alpha.exp().detach()
        actions, log_probs = self.actor.sample(torch.cat([obs, next_obs]))  # one actor pass for both
        (new_action, next_action), (log_prob, next_log_prob) = actions.chunk(2), log_probs.float().chunk(2)
        with torch.no_grad():
            next_q = self.target_critic(torch.cat([next_obs, next_action.detach()], -1)).min(0).values
            target = reward + self.config.gamma * (next_q.squeeze(-1).float() - alpha * next_log_prob.detach())
        q = self.critic(torch.cat([obs, action], -1)).squeeze(-1).float()
        critic_loss = (q - target).pow(2).mean(1).sum()
        frozen = {name: p.detach() for name, p in self.critic.named_parameters()}
        q_new = functional_call(self.critic, frozen, (torch.cat([obs, new_action], -1),)).min(0).values.squeeze(-1)
        actor_loss = (alpha * log_prob - q_new.float()).mean()
        alpha_loss = -(self.log_alpha * (log_prob.detach() + self.target_entropy)).mean()
        metrics = dict(critic_loss=critic_loss.detach(), actor_loss=actor_loss.detach(), alpha=alpha,
                       entropy=-log_prob.detach().mean(), q=q.detach().mean())
        return critic_loss + actor_loss + alpha_loss, metrics
