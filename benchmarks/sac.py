"""SAC gradient updates per second (batch 256 by default): lawm's SAC against a plain eager reference (issue 3).

The reference is the textbook layout: two separate critic MLPs, three standard Adam optimisers, three
backward passes and a Python loop for the target update. Both run on the same random batches, in one process.
Run: python benchmarks/sac.py [--threads N] [--seconds S] [--batch-size B]. Comparing batch sizes shows how
much of an update is a fixed cost per kernel (the same at any batch) and how much is arithmetic (grows with it);
the last line places the reference against this machine's matmul peak (``roofline.py``).
"""
from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from lawm.behaviour.sac import SAC, SACConfig, TanhGaussianActor
from lawm.common.hardware import cpu_name, native_bf16
from lawm.common.nets import mlp
from roofline import ceiling, matmul_flops


class ReferenceSAC:
    def __init__(self, obs_dim: int, action_dim: int, config: SACConfig):
        self.config = config
        self.actor = TanhGaussianActor(obs_dim, action_dim, config.hidden, config.log_std_min, config.log_std_max)
        self.critics = [mlp(obs_dim + action_dim, config.hidden, 1, layer_norm=True) for _ in range(2)]
        self.targets = [copy.deepcopy(c).requires_grad_(False) for c in self.critics]
        self.log_alpha = torch.tensor(float(np.log(config.init_temperature)), requires_grad=True)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=config.lr)
        self.critic_opt = torch.optim.Adam([p for c in self.critics for p in c.parameters()], lr=config.lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=config.lr)
        self.target_entropy = -float(action_dim)

    def update(self, obs, action, reward, next_obs):
        alpha = self.log_alpha.exp().detach()
        with torch.no_grad():
            next_action, next_log_prob = self.actor.sample(next_obs)
            x = torch.cat([next_obs, next_action], -1)
            next_q = torch.min(self.targets[0](x), self.targets[1](x)).squeeze(-1)
            target = reward + self.config.gamma * (next_q - alpha * next_log_prob)
        x = torch.cat([obs, action], -1)
        critic_loss = sum((c(x).squeeze(-1) - target).pow(2).mean() for c in self.critics)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        new_action, log_prob = self.actor.sample(obs)
        x = torch.cat([obs, new_action], -1)
        actor_loss = (alpha * log_prob - torch.min(self.critics[0](x), self.critics[1](x)).squeeze(-1)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        alpha_loss = -(self.log_alpha * (log_prob.detach() + self.target_entropy)).mean()
        self.alpha_opt.zero_grad()
        alpha_loss.backward()
        self.alpha_opt.step()
        with torch.no_grad():
            for critic, target in zip(self.critics, self.targets):
                for p, tp in zip(critic.parameters(), target.parameters()):
                    tp.mul_(1 - self.config.tau).add_(self.config.tau * p)


def timed_burst(agent, batches, seconds: float) -> float:
    """Updates per second over one burst of about ``seconds``."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        agent.update(*batches[count % len(batches)])
        count += 1
    return count / (time.perf_counter() - start)


def compare(agents: dict, batches, rounds: int, seconds: float) -> dict[str, list[float]]:
    """Alternate short bursts of each agent so that load from other processes hits all of them alike."""
    for agent in agents.values():
        timed_burst(agent, batches, 0.3)  # warm-up
    rates = {name: [] for name in agents}
    for _ in range(rounds):
        for name, agent in agents.items():
            rates[name].append(timed_burst(agent, batches, seconds))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one burst")
    parser.add_argument("--batch-size", type=int, default=256, help="transitions per update")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    obs_dim, action_dim, config = 24, 6, SACConfig()  # walker-walk sizes
    size = args.batch_size
    batches = [(torch.randn(size, obs_dim), torch.rand(size, action_dim) * 2 - 1, torch.rand(size),
                torch.randn(size, obs_dim)) for _ in range(50)]
    agents = {"reference": ReferenceSAC(obs_dim, action_dim, config),
              "lawm fp32": SAC(obs_dim, action_dim, SACConfig(precision="fp32"))}
    if native_bf16(torch.device("cpu")):
        agents["lawm bf16"] = SAC(obs_dim, action_dim, SACConfig(precision="bf16"))
    else:
        print(f"{cpu_name()}: bfloat16 is emulated here, so no bf16 figure is measured")
    rates = compare(agents, batches, args.rounds, args.seconds)
    print(f"SAC updates/s at batch {size}, {args.threads} thread(s), median of {args.rounds} interleaved bursts:")
    for name, values in rates.items():
        ratios = np.array(values) / np.array(rates["reference"])
        print(f"  {name:10s} {np.median(values):6.0f} updates/s   ratio to reference {np.median(ratios):.2f}x "
              f"(rounds {ratios.min():.2f}-{ratios.max():.2f})")
    reference = agents["reference"]
    print(ceiling("reference", matmul_flops(lambda: reference.update(*batches[0])), np.median(rates["reference"])))


if __name__ == "__main__":
    main()
