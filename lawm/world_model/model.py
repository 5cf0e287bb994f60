"""The latent-action world model (Section 3): an RSSM plus latent actions u_t, trained with Eq. (9)-(11).

Components (Eq. 2, 3, 6): latent action prior p(u_t | s_t) (standard normal for LAWM, an MLP for C-LAP),
action-conditioned posterior q(u_t | s_t, a_t), action-free posterior q(u_t | s_t, o_{t+1}) (the inverse
dynamics model, IDM) and the action decoder p(a_t | s_t, u_t), shared with q(a_t | s_t, u_t).

Observations are normalized with the dataset's statistics, kept as buffers (design section 6). Observation,
reward and action likelihoods are Gaussians with a learned per-dimension standard deviation (observations
and rewards with unit variance where ``unit_likelihoods`` is set). Decoded actions are squashed into the
action bounds, so that the channel from o_{t+1} into the transition carries no more than an action.

Tasks that terminate (``lawm.envs.can_terminate``) add a continuation head: a Bernoulli on s_t that the
episode goes on (as in Dreamer and C-LAP), trained on the dataset's terminations; imagined returns are
discounted by its probability. Tasks that never terminate have no such head.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lawm.common.nets import Normalizer
from lawm.world_model.config import Config
from lawm.world_model.deferred import deferred_weight_grads
from lawm.world_model.rssm import RSSM, Normal, State, net

OPEN_LOOP_HORIZONS = (5, 10, 25, 50)


class WorldModel(nn.Module):
    def __init__(self, config: Config, observation_dim: int, action_low: np.ndarray, action_high: np.ndarray,
                 observation_mean: np.ndarray | None = None, observation_std: np.ndarray | None = None,
                 learned_prior: bool = False, continuation: bool = False):
        super().__init__()
        c, self.config = config, config
        action_dim, feature = len(action_low), config.deter + config.stoch
        self.normalizer = Normalizer(np.zeros(observation_dim) if observation_mean is None else observation_mean,
                                     np.ones(observation_dim) if observation_std is None else observation_std)
        low, high = torch.as_tensor(action_low), torch.as_tensor(action_high)
        self.register_buffer("action_mid", (high + low) / 2)
        self.register_buffer("action_half", (high - low) / 2)
        self.encoder = net(observation_dim, c.units, c.embed, c.layers)
        self.rssm = RSSM(action_dim, c.embed, c.deter, c.stoch, c.hidden, c.min_std)
        self.decoder = net(feature, c.units, observation_dim, c.layers)
        self.reward_head = net(feature, c.units, 1, c.layers)
        self.continuation_head = net(feature, c.units, 1, c.layers) if continuation else None
        self.action_decoder = net(feature + c.latent_action, c.units, action_dim, c.layers)
        self.action_posterior = net(feature + action_dim, c.units, 2 * c.latent_action, c.layers)
        self.idm = net(feature + c.embed, c.units, 2 * c.latent_action, c.idm_layers)
        self.action_prior = net(feature, c.units, 2 * c.latent_action, c.layers) if learned_prior else None
        self.likelihood_std = nn.ParameterDict(dict(observation=torch.zeros(observation_dim),
                                                    reward=torch.zeros(1), action=torch.zeros(action_dim)))

    # -- components -------------------------------------------------------------------------------------
    def likelihood(self, name: str, mean: torch.Tensor) -> Normal:
        if self.config.unit_likelihoods and name != "action":
            return Normal(mean.float(), torch.ones_like(mean, dtype=torch.float32))
        std = F.softplus(self.likelihood_std[name]) + self.config.min_likelihood_std
        return Normal(mean.float(), std.expand_as(mean))

    def embed(self, observations: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.normalizer(observations))

    def latent_prior(self, feature: torch.Tensor) -> Normal:
        """p(u_t | s_t): N(0, I) for LAWM, a learned Gaussian for C-LAP."""
        if self.action_prior is None:
            zeros = feature.new_zeros(*feature.shape[:-1], self.config.latent_action, dtype=torch.float32)
            return Normal(zeros, torch.ones_like(zeros))
        return Normal.of(self.action_prior(feature), self.config.min_std)

    def latent_posterior(self, feature: torch.Tensor, action: torch.Tensor) -> Normal:
        """q(u_t | s_t, a_t), the action-conditioned latent action posterior (Eq. 3)."""
        return Normal.of(self.action_posterior(torch.cat([feature, action], -1)), self.config.min_std)

    def latent_inverse_dynamics(self, feature: torch.Tensor, next_embed: torch.Tensor) -> Normal:
        """q(u_t | s_t, o_{t+1}), the action-free latent action posterior (Eq. 6), from o_{t+1}'s embedding."""
        return Normal.of(self.idm(torch.cat([feature, next_embed], -1)), self.config.min_std)

    def decode_action(self, feature: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """The mean of p(a_t | s_t, u_t), squashed into the action bounds."""
        raw = self.action_decoder(torch.cat([feature, latent], -1)).float()
        return self.action_mid + self.action_half * torch.tanh(raw)

    def action_nll(self, feature: torch.Tensor, latent: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """-log p(a_t | s_t, u_t) of a window's actions [B, L, A], the mean over its steps [B]."""
        return self.likelihood("action", self.decode_action(feature, latent)).nll(actions).mean(1)

    def reward(self, feature: torch.Tensor) -> torch.Tensor:
        return self.reward_head(feature).float().squeeze(-1)

    def continuation_logits(self, feature: torch.Tensor) -> torch.Tensor:
        """Logits of the probability that the episode goes on from s_t (needs the continuation head)."""
        return self.continuation_head(feature).float().squeeze(-1)

    def continuation(self, feature: torch.Tensor) -> torch.Tensor:
        """The probability that the episode goes on from s_t; 1 where the task never terminates."""
        if self.continuation_head is None:
            return feature.new_ones(feature.shape[:-1], dtype=torch.float32)
        return torch.sigmoid(self.continuation_logits(feature))

    # -- filtering --------------------------------------------------------------------------------------
    def filter(self, embeds: torch.Tensor, actions: torch.Tensor, labeled: torch.Tensor,
               sample: bool = True) -> dict[str, torch.Tensor | Normal]:
        """Posterior states s_0..s_L of windows of embeddings [B, L+1, E].

        A labeled window's transition consumes its actions; an unlabeled one's consumes the action decoded
        from u_t ~ q(u_t | s_t, o_{t+1}) (Eq. 6), so that gradients reach the IDM through the dynamics.
        """
        action_free = not bool(labeled.all())
        looped = [self.rssm.inputs, self.rssm.gru, self.rssm.posterior_head, self.idm, self.action_decoder]
        embeds = embeds.unbind(1)  # one backward node for all steps, not one full-size gradient per slice
        with deferred_weight_grads(looped, steps=len(embeds)):
            state, action = self.rssm.initial(len(embeds[0]))
            state, posterior = self.rssm.observe(state, action, embeds[0], sample)
            states, posteriors, idms, fed = [state], [posterior], [], []
            for t in range(len(embeds) - 1):
                action = actions[:, t]
                if action_free:
                    feature = state.feature
                    idm = self.latent_inverse_dynamics(feature, embeds[t + 1])
                    decoded = self.decode_action(feature, idm.sample() if sample else idm.mean)
                    action = torch.where(labeled[:, None], action, decoded)
                    idms.append(idm)
                fed.append(action)
                state, posterior = self.rssm.observe(state, action, embeds[t + 1], sample)
                states.append(state)
                posteriors.append(posterior)

        def stack(items, cls):
            return cls(*(torch.stack(parts, 1) for parts in zip(*items)))

        return dict(states=stack(states, State), posteriors=stack(posteriors, Normal),
                    idm=stack(idms, Normal) if idms else None, actions=torch.stack(fed, 1))

    def filter_step(self, state: State, action: torch.Tensor, observation: torch.Tensor) -> State:
        """The posterior mean state after ``action`` and the observation it led to (acting in the world)."""
        return self.rssm.observe(state, action, self.embed(observation), sample=False)[0]

    # -- objective --------------------------------------------------------------------------------------
    def loss_terms(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Per-window terms of Eq. (9)-(11), each the mean over the window's steps, shape [B], and the actions
        the transitions consumed [B, L, A] (decoded ones in unlabeled windows).

        Labeled windows get the action-conditioned ELBO of Eq. (7) (action reconstruction, action KL of
        q(u | s, a)); unlabeled ones the action-free ELBO of Eq. (8) (action KL of q(u | s, o_{t+1}); the
        action decoder consistency KL vanishes because q(a | s, u) and p(a | s, u) share parameters).
        Both get observation reconstruction, state KL and the reward likelihood of Eq. (11); with a continuation
        head, also the Bernoulli likelihood that s_{t+1} is not terminal.
        """
        c, labeled = self.config, batch["labeled"]
        observations, actions = batch["observations"], batch["actions"]
        out = self.filter(self.embed(observations), actions, labeled)
        states, feature = out["states"], out["states"].feature
        obs_nll = self.likelihood("observation", self.decoder(feature)).nll(self.normalizer(observations))
        reward_nll = self.likelihood("reward", self.reward(feature[:, 1:])[..., None]).nll(batch["rewards"][..., None])
        state_kl = out["posteriors"].kl_balanced(self.rssm.prior(states.deter), c.kl_balance, c.free_nats)
        before = feature[:, :-1]  # s_t for the latent actions u_t, t = 0 .. L-1
        prior = self.latent_prior(before)
        action_kl = torch.zeros_like(reward_nll)
        action_nll = torch.zeros(len(labeled), device=feature.device)
        if out["idm"] is not None:  # Eq. (8)
            action_kl = out["idm"].kl(prior).clamp_min(c.free_nats)
        idm_action_nll = torch.zeros_like(action_nll)
        if labeled.any():  # Eq. (7), computed on the labeled windows only
            rows = labeled.nonzero().squeeze(-1)
            posterior = self.latent_posterior(before[rows], actions[rows])
            action_kl = action_kl.index_put((rows,), posterior.kl(prior[rows]).clamp_min(c.free_nats))
            action_nll = action_nll.index_put((rows,), self.action_nll(before[rows], posterior.sample(), actions[rows]))
            if c.idm_supervision and out["idm"] is not None:  # beyond the paper: the IDM decodes labeled actions
                idm_nll = self.action_nll(before[rows], out["idm"][rows].sample(), actions[rows])
                idm_action_nll = idm_action_nll.index_put((rows,), c.idm_supervision * idm_nll)
        terms = dict(observation_nll=obs_nll.mean(1), reward_nll=reward_nll.mean(1), state_kl=state_kl.mean(1),
                     action_kl=action_kl.mean(1), action_nll=action_nll)
        if c.idm_supervision:
            terms["idm_action_nll"] = idm_action_nll
        if self.continuation_head is not None:
            goes_on = 1 - batch["terminals"]
            terms["continuation_nll"] = F.binary_cross_entropy_with_logits(
                self.continuation_logits(feature[:, 1:]), goes_on, reduction="none").mean(1)
        return terms, out["actions"].detach()

    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """L = L_model + L_reward (Eq. 9-11), averaged over the windows, and diagnostics."""
        terms, fed = self.loss_terms(batch)
        total = sum(terms.values())
        metrics = {name: value.mean().detach() for name, value in terms.items()}
        metrics["loss"] = total.mean().detach()
        if "true_actions" in batch and not batch["labeled"].all():
            unlabeled = ~batch["labeled"]
            error = (fed[unlabeled] - batch["true_actions"][unlabeled]).abs()
            metrics["action_error"] = error.nanmean()  # diagnostics only: decoded vs true actions
        return total.mean(), metrics

    @torch.no_grad()
    def open_loop_error(self, observations: torch.Tensor, actions: torch.Tensor, context: int = 5) -> dict:
        """Mean squared error of normalized observations predicted open loop from ``context`` filtered steps
        with the true actions, at each horizon of ``OPEN_LOOP_HORIZONS`` the windows allow."""
        labeled = torch.ones(len(observations), dtype=torch.bool, device=observations.device)
        out = self.filter(self.embed(observations[:, :context + 1]), actions[:, :context], labeled, sample=False)
        state = State(*(part[:, -1] for part in out["states"]))
        target = self.normalizer(observations)
        errors = {}
        for step in range(1, observations.shape[1] - context):
            state = self.rssm.imagine(state, actions[:, context + step - 1], sample=False)
            if step in OPEN_LOOP_HORIZONS:
                prediction = self.decoder(state.feature)
                errors[f"open_loop_mse_{step}"] = float(((prediction - target[:, context + step]) ** 2).mean())
        return errors
