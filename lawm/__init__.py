"""lawm: latent-action world models for offline RL from trajectories that mostly carry no actions."""
from lawm.errors import LawmError

__version__ = "0.1.0"
__all__ = ["LawmError", "__version__"]
