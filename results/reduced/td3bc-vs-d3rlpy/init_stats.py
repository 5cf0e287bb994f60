"""The initial weights of d3rlpy's TD3PlusBC and of lawm's TD3BC, both drawn with seed 0: each layer's shape and
the std of its weights and biases, and whether the actors' layers are the very same draw."""
import numpy as np
import torch
from bridge import CONFIG, d3rlpy_td3bc, linears, normalizer_of

from lawm.baselines.td3bc import TD3BC

arrays = np.load("labeled.npz")
algo = d3rlpy_td3bc(arrays, seed=0)
theirs = algo.impl._modules
torch.manual_seed(0)
ours = TD3BC(CONFIG, normalizer_of(algo), arrays["low"], arrays["high"])


def stats(layers) -> list:
    return [(tuple(layer.weight.shape), round(layer.weight.std().item(), 4), round(layer.bias.std().item(), 4))
            for layer in layers]


print("actor d3rlpy: ", stats(linears(theirs.policy)))
print("actor lawm:   ", stats(linears(ours.actor)))
print("critic d3rlpy:", stats(linears(theirs.q_funcs[0])), "(one of two members)")
print("critic lawm:  ", stats(list(ours.critic.hidden) + [ours.critic.out]), "(both members)")
print("actor layers equal to d3rlpy's:", [torch.equal(a.weight, b.weight)
                                          for a, b in zip(linears(ours.actor), linears(theirs.policy))])
