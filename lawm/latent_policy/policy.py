"""C-LAP's latent-action actor-critic (Table 2, "Agent"), learned in imagination inside a frozen world model.

The policy is a tanh-Gaussian over [-1, 1]^k mapped into the support of the latent action prior:
u = mu_p(s) + eps * sigma_p(s) * tanh(x), which for LAWM's N(0, I) prior is u = eps * tanh(x). Environment
actions come from the model's action decoder. Values and returns are measured in units of 1 / (1 - gamma)
(rewards times 1 - gamma), so they stay in the per-step reward's range (design section 6). Where the model
predicts terminations, each step's discount is gamma times the probability that the episode goes on, and
the losses of states past a likely termination are weighted down by the product of earlier discounts.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from lawm.world_model.config import Config
from lawm.world_model.model import WorldModel
from lawm.world_model.rssm import Normal, State, net


def lambda_returns(rewards: torch.Tensor, values: torch.Tensor, discounts: torch.Tensor, lam: float) -> torch.Tensor:
    """R_t = r_t + d_t * ((1 - lam) * V(s_{t+1}) + lam * R_{t+1}), R_H = V(s_H); rewards and discounts d_t
    (gamma times the probability that the episode goes on into s_{t+1}) [H, N], values [H+1, N]."""
    returns, last = [], values[-1]
    for t in reversed(range(len(rewards))):
        last = rewards[t] + discounts[t] * ((1 - lam) * values[t + 1] + lam * last)
        returns.append(last)
    return torch.stack(returns[::-1])


class LatentActorCritic(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = c = config
        feature = c.deter + c.stoch
        self.actor = net(feature, c.policy_units, 2 * c.latent_action, c.policy_layers)
        self.critics = nn.ModuleList(net(feature, c.policy_units, 1, c.policy_layers) for _ in range(2))
        self.targets = copy.deepcopy(self.critics).requires_grad_(False)

    def latent(self, model: WorldModel, feature: torch.Tensor, deterministic: bool = False):
        """A latent action inside the prior's support and the log-probability of its tanh(x) (up to a constant)."""
        dist = Normal.of(self.actor(feature), 1e-3)
        x = dist.mean if deterministic else dist.sample()
        squashed = torch.tanh(x)
        log_prob = -dist.nll(x) - (2 * (math.log(2) - x - nn.functional.softplus(-2 * x))).sum(-1)
        prior = model.latent_prior(feature)
        return prior.mean + self.config.support * prior.std * squashed, log_prob

    def value(self, critics: nn.ModuleList, feature: torch.Tensor) -> torch.Tensor:
        return torch.stack([critic(feature).float().squeeze(-1) for critic in critics])

    def imagine(self, model: WorldModel, start: State) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Roll the policy out for ``horizon`` steps through the model's prior: features [H+1, N, F],
        log-probabilities [H, N] and rewards [H, N]. Gradients flow through the dynamics."""
        state, features, log_probs = start, [start.feature], []
        for _ in range(self.config.horizon):
            latent, log_prob = self.latent(model, state.feature)
            state = model.rssm.imagine(state, model.decode_action(state.feature, latent))
            features.append(state.feature)
            log_probs.append(log_prob)
        features = torch.stack(features)
        return features, torch.stack(log_probs), model.reward(features[1:])

    def losses(self, model: WorldModel, start: State) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """Actor loss (negative lambda-return plus the log-prob regulariser) and the two critics' loss."""
        c = self.config
        features, log_probs, rewards = self.imagine(model, start)
        bootstrap = self.value(self.targets, features).min(0).values
        discounts = c.gamma * model.continuation(features[1:])
        returns = lambda_returns((1 - c.gamma) * rewards, bootstrap, discounts, c.lam)
        # weight of s_t: the chance that the rollout is still inside its episode there (1 without terminations)
        weights = torch.cat([torch.ones_like(discounts[:1]), discounts[:-1] / c.gamma]).cumprod(0).detach()
        actor_loss = -(weights * returns).mean() + c.logprob_scale * (weights * log_probs).mean()
        values = self.value(self.critics, features[:-1].detach())
        critic_loss = 0.5 * (weights * (values - returns.detach()) ** 2).mean((1, 2)).sum()  # both critics
        metrics = dict(actor_loss=actor_loss.detach(), critic_loss=critic_loss.detach(),
                       imagined_reward=rewards.mean().detach(), value=values.mean().detach(),
                       log_prob=log_probs.mean().detach())
        return actor_loss, critic_loss, metrics

    @torch.no_grad()
    def update_targets(self) -> None:
        for target, online in zip(self.targets.parameters(), self.critics.parameters()):
            target.lerp_(online, self.config.target_tau)
