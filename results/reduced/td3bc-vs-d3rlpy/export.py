"""Labeled transitions of a lawm dataset as flat arrays for d3rlpy's MDPDataset (last observation dropped)."""
import sys
import numpy as np
from lawm.data import Dataset

data = Dataset.load(sys.argv[1]).labeled_only()
obs = np.concatenate([e.observations[:-1] for e in data.episodes])
timeouts = np.concatenate([np.eye(1, e.length, e.length - 1)[0] for e in data.episodes]).astype(np.float32)
np.savez(sys.argv[2], observations=obs, actions=np.concatenate([e.actions for e in data.episodes]),
         rewards=np.concatenate([e.rewards for e in data.episodes]), terminals=np.zeros(len(obs), np.float32),
         timeouts=timeouts, low=data.action_low, high=data.action_high)
print(obs.shape, len(data.episodes))
