"""A walker-walk medium-replay dataset re-weighted towards the paper's Table 4 (mean 333, median 373, p75 501),
for the data probe: the committed recipe gives each of its four policies (uniform random, SAC snapshots at
10k, 20k and 30k steps) a quarter of the episodes (mean 221, median 180). This mix adds the 40k snapshot
(stochastic return 595, the paper's medium-replay max is 584) and shifts weight to the later policies.
The file's behaviour metadata lists every policy and its episode count. Usage: make_table4_mix.py OUT.h5
"""
import sys

import lawm.data.recipes as recipes

EPISODES = {None: 300, "step_0010000.pt": 300, "step_0020000.pt": 400, "step_0030000.pt": 600,
            "step_0040000.pt": 400}

snapshots = {s.file: s for s in recipes.read_manifest(recipes.POLICIES / "walker-walk" / "sac")[1]}
mix = [(snapshots.get(name), float(count)) for name, count in EPISODES.items()]
recipes.select = lambda kind, _: mix  # the recipe's rollouts and labels, with this mix of policies
recipes.make_dataset("walker-walk", "medium-replay", sum(EPISODES.values()), seed=0).save(sys.argv[1])
