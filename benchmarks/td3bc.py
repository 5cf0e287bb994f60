"""TD3+BC updates per second: lawm's trainer against a plain eager reference, in one run, with 1 and 2 threads.

The reference is the original TD3+BC implementation's update (Fujimoto & Gu, 2021) written plainly: two
separate critic MLPs, standard Adam, an actor loss whose backward pass also fills the critics' gradients, and
target updates one parameter at a time. "lawm" is ``lawm.baselines.td3bc.Trainer`` as configured by default
(precision auto: bfloat16 matmul products where the CPU has them natively), "lawm fp32" the same with
``precision=fp32``. All read the same batches from the same tensors, so the figures compare the updates alone;
rounds alternate to share out load from other processes.
The last lines place the reference against this machine's matmul peak (``roofline.py``).

    python benchmarks/td3bc.py [--steps 300] [--rounds 3] [--batch-size 256]
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from lawm.baselines import td3bc
from lawm.common.hardware import cpu_name, native_bf16
from lawm.common.nets import Normalizer
from roofline import ceiling, matmul_flops

OBS_DIM, ACT_DIM, SIZE = 24, 6, 100_000  # walker-walk's dimensions


class ReferenceTD3BC:
    """The original implementation's networks and update, in plain eager PyTorch."""

    def __init__(self, config: td3bc.TD3BCConfig, data: dict[str, torch.Tensor]):
        self.c, self.data = config, data
        h = config.hidden
        self.actor = nn.Sequential(nn.Linear(OBS_DIM, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, ACT_DIM),
                                   nn.Tanh())
        self.q1, self.q2 = (nn.Sequential(nn.Linear(OBS_DIM + ACT_DIM, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                                          nn.Linear(h, 1)) for _ in range(2))
        self.actor_target, self.q1_target, self.q2_target = map(copy.deepcopy, (self.actor, self.q1, self.q2))
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_opt = torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=config.critic_lr)

    def update(self, step: int) -> dict[str, float]:
        c = self.c
        index = torch.randint(SIZE, (c.batch_size,))
        obs, action, reward, next_obs = (self.data[k][index] for k in ("obs", "actions", "rewards", "next_obs"))
        with torch.no_grad():
            noise = (torch.randn_like(action) * c.policy_noise).clamp(-c.noise_clip, c.noise_clip)
            next_action = (self.actor_target(next_obs) + noise).clamp(-1, 1)
            sa = torch.cat([next_obs, next_action], 1)
            target = reward[:, None] + c.discount * torch.min(self.q1_target(sa), self.q2_target(sa))
        sa = torch.cat([obs, action], 1)
        critic_loss = F.mse_loss(self.q1(sa), target) + F.mse_loss(self.q2(sa), target)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        metrics = dict(critic_loss=critic_loss.item())
        if step % c.policy_delay == 0:
            pi = self.actor(obs)
            q = self.q1(torch.cat([obs, pi], 1))
            actor_loss = -c.alpha / q.abs().mean().detach() * q.mean() + F.mse_loss(pi, action)
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            metrics["actor_loss"] = actor_loss.item()
            for net, target_net in ((self.q1, self.q1_target), (self.q2, self.q2_target), (self.actor, self.actor_target)):
                for param, target_param in zip(net.parameters(), target_net.parameters()):
                    target_param.data.copy_(c.tau * param.data + (1 - c.tau) * target_param.data)
        return metrics


def updates_per_second(trainer, steps: int, first_step: int) -> float:
    start = time.perf_counter()
    for step in range(first_step, first_step + steps):
        trainer.update(step)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="updates per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed rounds per implementation")
    parser.add_argument("--batch-size", type=int, default=256, help="transitions per update")
    args = parser.parse_args()

    torch.manual_seed(0)
    config = td3bc.make_config("paper", batch_size=args.batch_size)
    data = dict(obs=torch.randn(SIZE, OBS_DIM), next_obs=torch.randn(SIZE, OBS_DIM),
                actions=torch.rand(SIZE, ACT_DIM) * 2 - 1, rewards=torch.rand(SIZE) * 2)
    trainers = dict(reference=ReferenceTD3BC(config, data))
    native = native_bf16(torch.device("cpu"))
    if not native:
        print(f"{cpu_name()}: bfloat16 is emulated here, so lawm's default (precision auto) is float32 and no bf16 "
              "figure is measured")
    for name, precision in (("lawm fp32", "fp32"), ("lawm", "auto")):
        variant = dataclasses.replace(config, precision=precision)
        agent = td3bc.TD3BC(variant, Normalizer(torch.zeros(OBS_DIM), torch.ones(OBS_DIM)),
                            -torch.ones(ACT_DIM), torch.ones(ACT_DIM))
        trainers[name] = td3bc.Trainer(variant, agent, data)
    print(f"TD3+BC update, batch {config.batch_size}, {config.layers} x {config.hidden} MLPs, "
          f"{args.rounds} rounds of {args.steps} updates (median); lawm: precision auto (the default, "
          f"{'bf16' if native else 'fp32'} here)")
    print(f"{'threads':>7} | {'reference upd/s':>15} | {'lawm fp32 upd/s':>15} | {'lawm upd/s':>10} | ratio")
    flops = matmul_flops(lambda: [trainers["reference"].update(step) for step in (0, 1)]) // 2  # actor every 2nd
    ceilings = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        rates = {name: [] for name in trainers}
        for name, trainer in trainers.items():
            updates_per_second(trainer, 20, 0)  # warm-up
        for round_ in range(args.rounds):
            for name, trainer in trainers.items():
                rates[name].append(updates_per_second(trainer, args.steps, round_ * args.steps))
        reference, fp32, ours = (statistics.median(rates[name]) for name in trainers)
        print(f"{threads:>7} | {reference:>15.0f} | {fp32:>15.0f} | {ours:>10.0f} | {ours / reference:.2f}x")
        ceilings.append(ceiling(f"reference, {threads} thread(s)", flops, reference))
    print("\n".join(ceilings))


if __name__ == "__main__":
    main()
