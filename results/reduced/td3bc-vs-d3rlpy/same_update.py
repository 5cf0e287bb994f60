"""Four TD3+BC updates in lawm and in d3rlpy 2.8.1 from the same weights, batch and smoothing noise: the
largest difference of every network's weights after each, beside how far the updates moved them."""
import numpy as np
import torch
from bridge import CONFIG, d3rlpy_td3bc, lawm_td3bc_with_weights_of, linears
from d3rlpy.torch_utility import TorchMiniBatch

from lawm.baselines.td3bc import Trainer

torch.set_num_threads(1)
arrays = np.load("labeled.npz")
algo = d3rlpy_td3bc(arrays, seed=0)
theirs, ours = algo.impl._modules, lawm_td3bc_with_weights_of(algo, arrays)

ends = np.flatnonzero(arrays["timeouts"])  # d3rlpy has no transition out of an episode's last observation
rows = np.random.default_rng(1).choice(np.setdiff1d(np.arange(len(arrays["actions"])), ends), 256, replace=False)
obs, next_obs = (ours.normalizer(torch.from_numpy(arrays["observations"][r])) for r in (rows, rows + 1))
actions, rewards = torch.from_numpy(arrays["actions"][rows]), torch.from_numpy(arrays["rewards"][rows])
batch = TorchMiniBatch(obs, actions, rewards[:, None], next_obs, torch.zeros_like(actions), torch.zeros(256, 1),
                       torch.zeros(256, 1), torch.ones(256, 1), "cpu:0")
trainer = Trainer(CONFIG, ours, dict(obs=obs, actions=actions, rewards=rewards, continues=torch.ones(256),
                                     next_obs=next_obs))
torch.randint = lambda size, shape: torch.arange(256)  # lawm's batch: these 256 rows, in order


def largest_difference(mine, d3rlpy_nets) -> float:
    """Over the linear layers of an MLP, or of each member of lawm's critic ensemble against d3rlpy's list."""
    if isinstance(d3rlpy_nets, torch.nn.ModuleList):
        layers = list(mine.hidden) + [mine.out]
        return max(max((layer.weight[e] - s.weight.T).abs().max().item(), (layer.bias[e, 0] - s.bias).abs().max().item())
                   for e, q in enumerate(d3rlpy_nets) for layer, s in zip(layers, linears(q)))
    return max(max((d.weight - s.weight).abs().max().item(), (d.bias - s.bias).abs().max().item())
               for d, s in zip(linears(mine), linears(d3rlpy_nets)))


pairs = dict(actor=(ours.actor, theirs.policy), actor_target=(ours.actor_target, theirs.targ_policy),
             critics=(ours.critic, theirs.q_funcs), critic_targets=(ours.critic_target, theirs.targ_q_funcs))
before = {name: [p.detach().clone() for p in mine.parameters()] for name, (mine, _) in pairs.items()}
for step in range(4):  # an actor and target update at steps 0 and 2
    torch.manual_seed(100 + step)
    algo.impl.inner_update(batch, step)
    torch.manual_seed(100 + step)
    trainer.update(step)
    print(f"after update {step}: largest difference", {k: f"{largest_difference(*v):.1e}" for k, v in pairs.items()})
moved = {name: max((p - b).abs().max().item() for p, b in zip(pairs[name][0].parameters(), start))
         for name, start in before.items()}
print("largest move of each network's weights over the 4 updates:", {k: f"{v:.1e}" for k, v in moved.items()})
