import sys
sys.path.append("/tmp/d3/lib/python3.11/site-packages")
import numpy as np, torch, d3rlpy
from lawm.baselines.td3bc import TD3BC, TD3BCConfig
from lawm.common.nets import Normalizer
a = np.load("labeled.npz")
dataset = d3rlpy.dataset.MDPDataset(a["observations"], a["actions"], a["rewards"][:, None], a["terminals"], a["timeouts"])
d3rlpy.seed(0)
algo = d3rlpy.algos.TD3PlusBCConfig().create("cpu:0"); algo.build_with_dataset(dataset)
m = algo.impl._modules
ours = TD3BC(TD3BCConfig(), Normalizer(np.zeros(24), np.ones(24)), a["low"], a["high"])
lin = lambda mod: [x for x in mod.modules() if isinstance(x, torch.nn.Linear)]
print("actor d3rlpy:", [(tuple(l.weight.shape), round(l.weight.std().item(), 4), round(l.bias.std().item(), 4)) for l in lin(m.policy)])
print("actor ours:  ", [(tuple(l.weight.shape), round(l.weight.std().item(), 4), round(l.bias.std().item(), 4)) for l in lin(ours.actor)])
print("critic d3rlpy:", [(tuple(l.weight.shape), round(l.weight.std().item(), 4), round(l.bias.std().item(), 4)) for l in lin(m.q_funcs[0])])
print("critic ours:  ", [(tuple(l.weight.shape), round(l.weight.std().item(), 4), round(l.bias.std().item(), 4)) for l in list(ours.critic.hidden) + [ours.critic.out]])
print(type(m.policy), m.policy)
torch.manual_seed(0)
ours = TD3BC(TD3BCConfig(), Normalizer(np.zeros(24), np.ones(24)), a["low"], a["high"])
print("actor layer 0 equal to d3rlpy seed 0:", torch.equal(lin(ours.actor)[0].weight, lin(m.policy)[0].weight),
      "layer 2:", torch.equal(lin(ours.actor)[2].weight, lin(m.policy)[2].weight))
