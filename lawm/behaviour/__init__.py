"""Behaviour agents that produce the policy snapshots the dataset recipes roll out (App. E)."""
