import numpy as np
import pytest

from lawm.envs import EPISODE_STEPS, MAIN_TASKS, Env, VectorEnv
from lawm.errors import LawmError

DIMS = {"cheetah-run": (17, 6), "walker-walk": (24, 6), "hopper-stand": (15, 4)}


def rollout(env: Env, seed: int, steps: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=seed)
    observations, rewards = [obs], []
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(rng.uniform(-1, 1, env.action_dim))
        assert not terminated and not truncated
        observations.append(obs)
        rewards.append(reward)
    return np.array(observations), np.array(rewards)


@pytest.mark.parametrize("task", MAIN_TASKS)
def test_shapes_bounds_and_determinism(task):
    env = Env(task)
    assert (env.observation_dim, env.action_dim) == DIMS[task]
    assert np.all(env.action_low == -1) and np.all(env.action_high == 1)
    observations, rewards = rollout(env, seed=7)
    assert observations.shape == (21, DIMS[task][0]) and observations.dtype == np.float32
    assert np.all((rewards >= 0) & (rewards <= 2))  # two control steps, each rewarded in [0, 1]
    again, again_rewards = rollout(Env(task), seed=7)
    np.testing.assert_array_equal(observations, again)
    np.testing.assert_array_equal(rewards, again_rewards)
    other, _ = rollout(env, seed=8)
    assert not np.array_equal(observations[0], other[0])


def test_episode_is_500_agent_steps_then_refuses_to_step():
    env = Env("cheetah-run")
    env.reset(seed=0)
    for step in range(EPISODE_STEPS):
        *_, truncated, _ = env.step(np.zeros(env.action_dim))
        assert truncated == (step == EPISODE_STEPS - 1)
    with pytest.raises(LawmError, match="call reset"):
        env.step(np.zeros(env.action_dim))


def test_vector_env_matches_single_envs():
    vec = VectorEnv("hopper-stand", 3)
    obs, _ = vec.reset([1, 2, 3])
    actions = np.random.default_rng(0).uniform(-1, 1, (5, 3, vec.action_dim))
    for a in actions:
        obs, rewards, _, _, _ = vec.step(a)
    for i, seed in enumerate([1, 2, 3]):
        env = Env("hopper-stand")
        single, _ = env.reset(seed=seed)
        for a in actions:
            single, reward, _, _, _ = env.step(a[i])
        np.testing.assert_array_equal(obs[i], single)
        assert rewards[i] == np.float32(reward)


def test_unknown_task_lists_known_ones():
    with pytest.raises(LawmError, match="unknown task 'walker-run-fast'.*walker-walk"):
        Env("walker-run-fast")
