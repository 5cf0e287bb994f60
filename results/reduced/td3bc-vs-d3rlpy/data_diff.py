"""lawm's TD3+BC transitions against the exported ones d3rlpy trains on. Usage: data_diff.py DATA.h5"""
import sys
import numpy as np, torch
from lawm.baselines.td3bc import TD3BC, TD3BCConfig, transitions
from lawm.common.nets import Normalizer
from lawm.data import Dataset
data = Dataset.load(sys.argv[1]).labeled_only()
obs = np.concatenate([e.observations[:-1] for e in data.episodes if e.labeled])
agent = TD3BC(TD3BCConfig(), Normalizer.of(obs), data.action_low, data.action_high)
t = transitions(data, agent)
a = np.load("labeled.npz")
print("obs dtype", data.episodes[0].observations.dtype, "rewards", data.episodes[0].rewards.dtype, data.episodes[0].actions.dtype)
print("normalizer std min", agent.normalizer.std.min().item(), "mean abs", agent.normalizer.mean.abs().max().item())
print({k: (tuple(v.shape), v.dtype) for k, v in t.items()})
raw = t["obs"] * agent.normalizer.std + agent.normalizer.mean
print("obs match", np.abs(raw.numpy() - a["observations"]).max(), "actions", np.abs(t["actions"].numpy() - a["actions"]).max(),
      "rewards", np.abs(t["rewards"].numpy() - a["rewards"]).max(), "continues", t["continues"].min().item())
nxt = t["next_obs"] * agent.normalizer.std + agent.normalizer.mean
ends = np.flatnonzero(a["timeouts"])
inner = np.setdiff1d(np.arange(len(nxt)), ends)
print("next obs match (inner)", np.abs(nxt.numpy()[inner] - a["observations"][inner + 1]).max())
print("normalized obs range", t["obs"].abs().max().item(), "per-dim std of normalized", t["obs"].std(0).min().item(), t["obs"].std(0).max().item())
