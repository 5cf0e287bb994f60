"""d3rlpy 2.8.1 TD3PlusBC, original settings, on exported transitions; saves the actor every 20k steps."""
import sys
import numpy as np
import torch
import d3rlpy

path, seed, steps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(1)
d3rlpy.seed(seed)
a = np.load(path)
dataset = d3rlpy.dataset.MDPDataset(a["observations"], a["actions"], a["rewards"][:, None], a["terminals"],
                                    a["timeouts"])
algo = d3rlpy.algos.TD3PlusBCConfig(batch_size=256, actor_learning_rate=3e-4, critic_learning_rate=3e-4,
                                    alpha=2.5, observation_scaler=d3rlpy.preprocessing.StandardObservationScaler()
                                    ).create(device="cpu:0")
for epoch, metrics in algo.fitter(dataset, n_steps=steps, n_steps_per_epoch=min(steps, 20000), show_progress=False,
                                  save_interval=10**9, experiment_name=f"d3_s{seed}", with_timestamp=False):
    policy = algo.impl.policy
    scaler = algo.observation_scaler
    state = {k: v.detach().cpu().numpy() for k, v in policy.state_dict().items()}
    np.savez(f"{out}_step{epoch * min(steps, 20000)}.npz", mean=np.asarray(scaler.mean), std=np.asarray(scaler.std),
             eps=scaler.eps, **{k.replace(".", "__"): v for k, v in state.items()})
    sample = np.random.default_rng(0).choice(len(a["actions"]), 10000, replace=False)
    metrics["q_data"] = float(algo.predict_value(a["observations"][sample], a["actions"][sample]).mean())
    print(epoch, {k: round(float(v), 3) for k, v in metrics.items()}, flush=True)
