"""lawm's TD3+BC beside d3rlpy 2.8.1's TD3PlusBC on the same labeled transitions (``labeled.npz`` from export.py).

d3rlpy lives in its own virtual environment (it pins another gymnasium); its site-packages are appended to the
path, so lawm's own packages win: python3 -m venv /tmp/d3 && /tmp/d3/bin/pip install torch==2.13.0 d3rlpy==2.8.1
"""
import sys

sys.path.append("/tmp/d3/lib/python3.11/site-packages")

import d3rlpy  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from d3rlpy.algos.utility import build_scalers_with_transition_picker  # noqa: E402

from lawm.baselines.td3bc import TD3BC, TD3BCConfig  # noqa: E402
from lawm.common.nets import Normalizer  # noqa: E402

CONFIG = TD3BCConfig(precision="fp32")


def d3rlpy_td3bc(arrays, seed: int):
    """d3rlpy's TD3PlusBC (original settings, standardised observations), built and seeded, untrained."""
    dataset = d3rlpy.dataset.MDPDataset(arrays["observations"], arrays["actions"], arrays["rewards"][:, None],
                                        arrays["terminals"], arrays["timeouts"])
    d3rlpy.seed(seed)
    algo = d3rlpy.algos.TD3PlusBCConfig(
        observation_scaler=d3rlpy.preprocessing.StandardObservationScaler()).create("cpu:0")
    algo.build_with_dataset(dataset)
    build_scalers_with_transition_picker(algo, dataset)
    return algo


def normalizer_of(algo) -> Normalizer:
    scaler = algo.observation_scaler
    return Normalizer(np.asarray(scaler.mean), np.asarray(scaler.std) + scaler.eps, min_std=0)


def linears(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


def lawm_td3bc_with_weights_of(algo, arrays) -> TD3BC:
    """lawm's TD3BC holding d3rlpy's actor, twin critics and their targets, weight for weight."""
    modules, agent = algo.impl._modules, TD3BC(CONFIG, normalizer_of(algo), arrays["low"], arrays["high"])
    with torch.no_grad():
        for ours, theirs in ((agent.actor, modules.policy), (agent.actor_target, modules.targ_policy)):
            for d, s in zip(linears(ours), linears(theirs)):
                d.weight.copy_(s.weight)
                d.bias.copy_(s.bias)
        for ours, theirs in ((agent.critic, modules.q_funcs), (agent.critic_target, modules.targ_q_funcs)):
            for member, q in enumerate(theirs):
                for d, s in zip(list(ours.hidden) + [ours.out], linears(q)):
                    d.weight[member].copy_(s.weight.T)
                    d.bias[member, 0].copy_(s.bias)
    return agent
