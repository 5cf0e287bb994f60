"""The latent-action world model: a compact RSSM, latent action heads and the unified objective."""
from lawm.world_model.config import PRESETS, Config
from lawm.world_model.model import WorldModel

__all__ = ["Config", "PRESETS", "WorldModel"]
