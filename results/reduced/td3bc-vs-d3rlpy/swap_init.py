"""20k updates of lawm's TD3+BC trainer on the 100 labeled trajectories, from d3rlpy's initial weights or from
lawm's own (drawn with seed INIT); the data, the normaliser (d3rlpy's) and the batches (seed 1) are the same.
Usage: swap_init.py DATA.h5 d3rlpy|lawm INIT"""
import sys

import numpy as np
import torch
from bridge import CONFIG, d3rlpy_td3bc, lawm_td3bc_with_weights_of, normalizer_of

from lawm.baselines.td3bc import TD3BC, Trainer, transitions
from lawm.data import Dataset
from lawm.evaluation import evaluate

path, init, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(1)
arrays = np.load("labeled.npz")
algo = d3rlpy_td3bc(arrays, seed)
if init == "d3rlpy":
    agent = lawm_td3bc_with_weights_of(algo, arrays)
else:
    torch.manual_seed(seed)
    agent = TD3BC(CONFIG, normalizer_of(algo), arrays["low"], arrays["high"])
data = Dataset.load(path).labeled_only()
trainer = Trainer(CONFIG, agent, transitions(data, agent))
torch.manual_seed(1)
for step in range(20_000):
    metrics = trainer.update(step)
    if (step + 1) % 5000 == 0:
        print(step + 1, {k: round(float(v), 3) for k, v in metrics.items()}, flush=True)
score = evaluate(agent, data.env_id, 10, 0, reference=data.reference_scores)["normalized_score"]
print(f"{init} initial weights, seed {seed}: normalized score after 20k updates {score:.1f}")
