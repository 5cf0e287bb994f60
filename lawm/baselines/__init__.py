"""The model-free baselines of Table 1: TD3+BC, its oracle, and IDM-TD3+BC."""
