"""Does the world model predict as well from states filtered over a whole episode (as at evaluation and in the
policy-phase cache) as from states filtered over a training-length window from the zero state?"""
import sys
import numpy as np
import torch
from lawm.common.run import saved_config
from lawm.data import Dataset
from lawm.latent_policy.agent import load_policy
from lawm.world_model.rssm import State

torch.set_num_threads(1)
run, data_path, window = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 16
agent = load_policy(run, saved_config(run))
model = agent.model.eval()
data = Dataset.load(data_path).oracle()
rng = np.random.default_rng(0)
episodes = [data.episodes[i] for i in rng.choice(len(data.episodes), 32, replace=False)]
obs = torch.as_tensor(np.stack([e.observations for e in episodes]))  # [B, T+1, O]
act = torch.as_tensor(np.stack([e.actions for e in episodes]))
rew = torch.as_tensor(np.stack([e.rewards for e in episodes]))
labeled = torch.ones(len(episodes), dtype=torch.bool)
target = model.normalizer(obs)
rows = {k: [] for k in ("long", "short")}
with torch.no_grad():
    full = model.filter(model.embed(obs), act, labeled, sample=False)["states"]
    for t in range(50, 480, 50):
        short = model.filter(model.embed(obs[:, t - window + 1:t + 1]), act[:, t - window + 1:t], labeled,
                             sample=False)["states"]
        starts = dict(long=State(full.deter[:, t], full.stoch[:, t]), short=State(short.deter[:, -1], short.stoch[:, -1]))
        for name, state in starts.items():
            r0 = float(((model.reward(state.feature) - rew[:, t - 1]) ** 2).mean())
            o0 = float(((model.decoder(state.feature) - target[:, t]) ** 2).mean())
            errs = []
            for k in range(1, 16):
                state = model.rssm.imagine(state, act[:, t + k - 1], sample=False)
                errs.append((float(((model.decoder(state.feature) - target[:, t + k]) ** 2).mean()),
                             float(((model.reward(state.feature) - rew[:, t + k - 1]) ** 2).mean())))
            rows[name].append([r0, o0, errs[4][0], errs[14][0], errs[4][1], errs[14][1]])
        gap = float((starts["long"].deter - starts["short"].deter).norm(dim=-1).mean() / starts["long"].deter.norm(dim=-1).mean())
        print(f"t={t}: relative |h_long - h_short| = {gap:.3f}")
print("start   reward_mse@0  obs_mse@0  obs_mse@5  obs_mse@15  reward_mse@5  reward_mse@15")
for name, values in rows.items():
    print(name.ljust(7), "  ".join(f"{v:10.4f}" for v in np.mean(values, 0)))
