"""How much of the action the latent actions of trained LAWM / C-LAP run folders carry, on their own dataset.

For windows of labeled and of action-free trajectories (true actions from the file's diagnostics copy), states
filtered with the true actions, it prints per step: the KL from the latent action prior p(u | s) of the
action-conditioned posterior q(u | s, a) (Eq. 3) and of the action-free one q(u | s, o') (Eq. 6, the IDM), and
the mean absolute error of the actions decoded from each posterior's mean, beside two references: the action
decoded from the prior's mean, and the dataset's mean action. The IDM of a C-LAP model, or of a LAWM one
trained on labeled trajectories alone, is never trained: its columns are left out. The last two columns say how
much the dynamics heed the actions: the open-loop error of the observations 10 steps ahead (after 5 filtered
steps) with the true actions and with another window's. Two more say whether the policy can reach the data's
latent actions: it acts inside mu_p(s) +- support * sigma_p(s) (``lawm.latent_policy.policy``), so they give the
share of posterior means q(u | s, a) inside that box, and the error of the actions decoded from them once clipped
into it; the last, the prior's mean sigma_p(s), says how wide the box is (1 under N(0, I)).

Usage: python scripts/latent_actions.py RUN_DIR... [--dataset FILE] [--windows 256] [--seed 0]
"""
import argparse
from pathlib import Path

import torch

from lawm.data import Dataset, WindowSampler
from lawm.evaluation import load_policy


@torch.no_grad()
def measure(model, batch: dict, idm_trained: bool, support: float) -> dict[str, float]:
    actions = batch["true_actions"]
    labeled = torch.ones(len(actions), dtype=torch.bool)
    embeds = model.embed(batch["observations"])
    feature = model.filter(embeds, actions, labeled, sample=False)["states"].feature[:, :-1]
    prior = model.latent_prior(feature)
    posterior = model.latent_posterior(feature, actions)

    def error(latent: torch.Tensor) -> float:
        return float((model.decode_action(feature, latent) - actions).abs().mean())

    mean_action = actions.mean((0, 1))
    box = ((posterior.mean - prior.mean) / prior.std).clamp(-support, support) * prior.std + prior.mean
    row = dict(kl_posterior=float(posterior.kl(prior).mean()), error_posterior=error(posterior.mean),
               error_prior_mean=error(prior.mean), error_mean_action=float((actions - mean_action).abs().mean()),
               in_support=float((box == posterior.mean).all(-1).float().mean()), error_clipped=error(box),
               prior_std=float(prior.std.mean()))
    if idm_trained:
        idm = model.latent_inverse_dynamics(feature, embeds[:, 1:])
        row.update(kl_idm=float(idm.kl(prior).mean()), error_idm=error(idm.mean))
    return row


@torch.no_grad()
def heeds_actions(model, batch: dict) -> dict[str, float]:
    """Open-loop error 10 steps ahead of 15-step windows, with their true actions and with another window's."""
    observations, actions = batch["observations"], batch["true_actions"]
    shuffled = actions[torch.randperm(len(actions))]
    return dict(open_loop_true=model.open_loop_error(observations, actions)["open_loop_mse_10"],
                open_loop_shuffled=model.open_loop_error(observations, shuffled)["open_loop_mse_10"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished LAWM or C-LAP run folders")
    parser.add_argument("--dataset", help="the dataset file (default: the one each run was trained on)")
    parser.add_argument("--windows", type=int, default=256, help="windows of each kind (default 256)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the windows")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    print("| run | windows | KL, posterior | KL, IDM | error, posterior | error, IDM | error, prior mean "
          "| error, mean action | open loop, true actions | open loop, shuffled actions | posterior in support "
          "| error, posterior clipped to support | prior std |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in args.runs:
        agent, config = load_policy(run)
        model = agent.model
        dataset = Dataset.load(args.dataset or config["dataset"])
        trained_on = Dataset.load(config["dataset"]) if args.dataset and config["dataset"] else dataset
        sampler = WindowSampler(dataset, model.config.window, args.seed, true_actions=True)
        idm_trained = config["algorithm"] == "lawm" and not trained_on.label_mask.all()
        long_windows = WindowSampler(dataset, 15, args.seed, true_actions=True)
        for kind, labeled in (("labeled", True), ("action-free", False)):
            if not (dataset.label_mask == labeled).any():
                continue
            r = measure(model, sampler.sample(args.windows, labeled=labeled), idm_trained, config["support"])
            r.update(heeds_actions(model, long_windows.sample(args.windows, labeled=labeled)))
            idm = (f"{r['kl_idm']:.2f}", f"{r['error_idm']:.3f}") if "kl_idm" in r else ("", "")
            print(f"| {run} | {kind} | {r['kl_posterior']:.2f} | {idm[0]} | {r['error_posterior']:.3f} | {idm[1]} | "
                  f"{r['error_prior_mean']:.3f} | {r['error_mean_action']:.3f} | {r['open_loop_true']:.3f} | "
                  f"{r['open_loop_shuffled']:.3f} | {r['in_support']:.2f} | {r['error_clipped']:.3f} | "
                  f"{r['prior_std']:.2f} |")


if __name__ == "__main__":
    main()
