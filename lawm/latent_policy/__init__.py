"""The latent-action policy of C-LAP, learned inside a latent-action world model, and the LAWM/C-LAP agents."""
from lawm.latent_policy.agent import CLAP, LAWM, load_policy

__all__ = ["CLAP", "LAWM", "load_policy"]
