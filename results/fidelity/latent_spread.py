"""Where a finished LAWM or C-LAP run's latent actions lie: the inferred ones on the data against the ones its
policy picks, in units of the latent action prior (z = (u - mu_p) / sigma_p, so N(0, I) for LAWM).

Prints, over 256 unlabeled and 256 labeled 16-step windows (posterior means through the model's filter):
the spread of the inferred latent actions (RMS of z over dimensions, the share of |z| > 1 and > 2), their
posterior std in prior units, and the action error of decoding them; then for the policy at the same states
(deterministic) the RMS of its z, the share of its tanh outputs beyond 0.9 (pushed against the support's edge)
and how far its decoded actions lie from the data's actions.

    python results/fidelity/latent_spread.py RUN DATASET
"""
import sys

import torch

from lawm.common.run import saved_config
from lawm.data import Dataset, WindowSampler
from lawm.latent_policy.agent import load_policy
from lawm.world_model.rssm import Normal

torch.set_num_threads(1)
run, data_path = sys.argv[1], sys.argv[2]
agent = load_policy(run, saved_config(run))
model, policy, support = agent.model.eval(), agent.policy.eval(), agent.config.support
sampler = WindowSampler(Dataset.load(data_path), 16, 0, true_actions=True)


def summary(name: str, z: torch.Tensor, extra: str) -> None:
    print(f"{name:>22}: rms z {z.square().mean().sqrt():.2f}, |z|>1 {(z.abs() > 1).float().mean():.2f}, "
          f"|z|>2 {(z.abs() > 2).float().mean():.3f}; {extra}")


with torch.no_grad():
    for labeled in (False, True):
        batch = sampler.sample(256, labeled=labeled)
        out = model.filter(model.embed(batch["observations"]), batch["actions"], batch["labeled"], sample=False)
        before = out["states"].feature[:, :-1]
        prior = model.latent_prior(before)
        true = batch["true_actions"]
        if labeled:
            inferred = Normal.of(model.action_posterior(torch.cat([before, true], -1)), agent.config.min_std)
        else:
            inferred = out["idm"]
        decoded = model.decode_action(before, inferred.mean)
        summary("labeled q(u|s,a)" if labeled else "unlabeled IDM q(u|s,o')", (inferred.mean - prior.mean) / prior.std,
                f"posterior std / prior std {(inferred.std / prior.std).mean():.2f}, "
                f"decoded action error {(decoded - true).abs().mean():.3f}")
        latent, _ = policy.latent(model, before, deterministic=True)
        z = (latent - prior.mean) / prior.std  # = support * tanh(x)
        summary("policy at those states", z,
                f"|tanh| > 0.9 {(z.abs() > 0.9 * support).float().mean():.2f} (support {support:g}), "
                f"|decoded - data action| {(model.decode_action(before, latent) - true).abs().mean():.3f}")
