"""Pieces every algorithm shares: atomic files, configs, run folders and the training loop."""
