"""Evaluate saved d3rlpy actors with lawm's own evaluation (10 episodes, the run's seed)."""
import sys
import numpy as np
import torch
from lawm.baselines.td3bc import TD3BC, TD3BCConfig
from lawm.common.nets import Normalizer
from lawm.data import Dataset
from lawm.evaluation import evaluate

data = Dataset.load(sys.argv[1]).labeled_only()
seed = int(sys.argv[2])
for path in sys.argv[3:]:
    a = np.load(path)
    keys = [k for k in a.files if k.endswith("weight")]
    agent = TD3BC(TD3BCConfig(), Normalizer(a["mean"], a["std"] + float(a["eps"]), min_std=0), data.action_low,
                  data.action_high)
    linears = [m for m in agent.actor if isinstance(m, torch.nn.Linear)]
    names = sorted(keys, key=lambda k: (k.startswith("_fc"), k))  # encoder layers first, then the output layer
    with torch.no_grad():
        for layer, name in zip(linears, names):
            layer.weight.copy_(torch.from_numpy(a[name]))
            layer.bias.copy_(torch.from_numpy(a[name.replace("weight", "bias")]))
    result = evaluate(agent.eval(), data.env_id, 10, seed, reference=data.reference_scores)
    print(path, names, round(result["normalized_score"], 1), flush=True)
