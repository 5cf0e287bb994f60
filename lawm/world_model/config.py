"""The configuration of LAWM and C-LAP: the world model's fields, then the latent-action policy's (Table 2).

One flat dataclass so that every field can be set with ``--set field=value``; presets only set defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from lawm.common.config import check_minimums
from lawm.common.hardware import check_precision, upgrade_fields
from lawm.errors import LawmError

_AT_LEAST_ONE = ("deter", "stoch", "embed", "hidden", "units", "layers", "idm_layers", "latent_action", "batch_size",
                 "window", "policy_units", "policy_layers", "policy_starts", "horizon", "log_every",
                 "diagnostics_every", "checkpoint_every", "eval_episodes")
# The fields that decide the world model: a run may take its model from another (model_from) where these agree.
WORLD_MODEL_FIELDS = ("deter", "stoch", "embed", "hidden", "units", "layers", "idm_layers", "latent_action", "min_std",
                      "min_likelihood_std", "unit_likelihoods", "free_nats", "kl_balance", "model_lr", "grad_clip",
                      "batch_size", "window", "labeled_share", "idm_supervision", "learned_prior", "model_steps",
                      "seed")

# Fields added after runs were saved, with the values those runs trained with: a saved config that lacks one
# is read with these (the defaults may have changed since, as labeled_share's did).
BEFORE_FIELDS_EXISTED = dict(unit_likelihoods=False, kl_balance=0.0, labeled_share=0.0, idm_supervision=0.0,
                             learned_prior=False)


def saved_fields(saved: dict) -> dict:
    """A run folder's saved config in today's fields: its ``bf16`` flag as a precision, and the fields it lacks
    with the values its run trained with."""
    return {**BEFORE_FIELDS_EXISTED, **upgrade_fields(saved)}


@dataclass
class Config:
    # -- world model (Table 2, "Model") -------------------------------------------------------------------
    deter: int = 192  # deterministic latent state size (GRU)
    stoch: int = 32  # stochastic latent state size (Gaussian)
    embed: int = 192  # observation embedding size
    hidden: int = 192  # hidden units of the transition and the state posterior
    units: int = 192  # units of the encoder, decoders, action posterior and learned action prior
    layers: int = 2  # layers of the encoder, decoders, action posterior and learned action prior
    idm_layers: int = 3  # layers of the action-free latent action posterior (the inverse dynamics model)
    latent_action: int = 12  # latent action size
    min_std: float = 0.1  # lower bound of every latent Gaussian's standard deviation
    min_likelihood_std: float = 0.05  # lower bound of the learned observation/reward/action likelihood std
    # observation and reward likelihoods with unit variance (MSE), as in the group's code (results/fidelity m2: lower)
    unit_likelihoods: bool = False
    free_nats: float = 1.0  # free nats of the state and latent action KL terms, per step (Table 2: 1.0)
    # alpha of the state KL's balancing (DreamerV2, the group's RSSM: 0.8; results/fidelity m1: no gain); 0: plain KL
    kl_balance: float = 0.0
    model_lr: float = 3e-4  # world model learning rate
    grad_clip: float = 100.0  # gradient norm clip of every optimiser
    batch_size: int = 64  # windows per world model batch
    window: int = 16  # transitions per window
    # share of labeled windows in every batch, 0: uniform over all windows (LAWM only: C-LAP's data is one kind).
    # 0.5 as AIME-NoB mixes its two sources; results/fidelity t4-lawm-share*: LAWM 26.7 -> 64.1 (0.25: 56.9)
    labeled_share: float = 0.5
    # beyond the paper: weight of the labeled windows' action likelihood decoded through the IDM, which aligns
    # the action-free path with the actions (LAWM only); 0: the paper's Eq. (9)
    idm_supervision: float = 0.0
    # beyond the paper (Table 2: LAWM's latent action prior is N(0, I)): LAWM with a learned prior p(u_t | s_t),
    # as C-LAP's; C-LAP always learns its prior
    learned_prior: bool = False
    # world model gradient steps (phase 1); Table 2: 100k (`paper`). results/fidelity: 10k about as good as 30k;
    # 5k then 10k policy steps (same cost) worse: C-LAP (Oracle) 33.6 vs 51.4, LAWM 50.3 vs 56.5 (m5k-p10k)
    model_steps: int = 10_000
    precision: str = "auto"  # auto, fp32 or bf16 autocast for training (lawm.common.hardware: auto = bf16 where native)
    # -- latent-action policy (Table 2, "Agent") ----------------------------------------------------------
    policy_units: int = 256  # units of the policy and value networks
    policy_layers: int = 3  # layers of the policy and value networks
    # policy and value learning rate (Table 2); results/fidelity lr2.4e-4-*: 3x ends at the same level by 12k steps
    policy_lr: float = 8e-5
    policy_starts: int = 256  # imagined rollouts per policy update, from posterior states of the training data
    # eps: latent actions lie within mu_p +- eps * sigma_p of the latent action prior. C-LAP tunes it per dataset
    # (0.5-10); 2 with logprob_scale 0.001: C-LAP (Oracle) 50.9 -> 69.2, LAWM 64.1 -> 72.8 (results/fidelity p4, t4-p4-*)
    support: float = 2.0
    horizon: int = 5  # imagined rollout length
    gamma: float = 0.99  # discount factor
    lam: float = 0.95  # lambda of the lambda-returns
    # weight of the policy's log-probability regulariser; Table 2: 0.01 against unscaled returns, ours are scaled
    # by 1 - gamma (results/fidelity p2, p4)
    logprob_scale: float = 0.001
    target_tau: float = 0.01  # Polyak rate of the slow value targets
    policy_steps: int = 6_000  # policy gradient steps (phase 2); Table 2: 100k (`paper`); every fidelity probe: 6k
    model_from: str = ""  # a run folder whose finished world model this run's policy phase starts from
    # -- run ----------------------------------------------------------------------------------------------
    seed: int = 0  # seed of the weights, the batches and the final evaluation
    log_every: int = 100  # steps between metric lines
    diagnostics_every: int = 1000  # steps between open-loop prediction diagnostics
    checkpoint_every: int = 1000  # steps between checkpoints
    eval_episodes: int = 10  # episodes of every evaluation (the learning curve's and the final one)
    eval_every: int = 2000  # policy steps between evaluations logged as a learning curve (0: only the final one)

    def __post_init__(self):
        check_minimums(self, {f.name: int(f.name in _AT_LEAST_ONE) for f in fields(self) if f.type in ("int", "float")})
        check_precision(self.precision)
        if not 0 <= self.kl_balance < 1:
            raise LawmError(f"the config field 'kl_balance' must lie in [0, 1), got {self.kl_balance}")
        if not 0 <= self.labeled_share <= 1:
            raise LawmError(f"the config field 'labeled_share' must lie in [0, 1], got {self.labeled_share}")


PRESETS: dict[str, dict] = {
    "tiny": dict(deter=32, stoch=8, embed=32, hidden=32, units=32, latent_action=4, batch_size=8, window=8,
                 policy_units=32, policy_starts=16, model_steps=60, policy_steps=20, log_every=10,
                 diagnostics_every=30, checkpoint_every=20, eval_episodes=1, eval_every=10),
    # make demo: five minutes on 2 busy cores of an AVX2-only CPU (README); smoke scale, its score is not the paper's
    "demo": dict(deter=128, stoch=16, embed=128, hidden=128, units=128, batch_size=32, model_steps=2000,
                 policy_units=128, policy_layers=2, policy_starts=128, policy_steps=1000,
                 log_every=50, diagnostics_every=500, checkpoint_every=500, eval_every=200),
    "small": dict(),  # the defaults above, sized for this 2-core CPU (benchmarks/world_model.py)
    "paper": dict(deter=512, stoch=64, embed=512, hidden=640, units=512, batch_size=64, window=50,
                  policy_starts=3200, model_steps=100_000, policy_steps=100_000, eval_every=10_000),
}
