"""``lockstep.yaml``: the models (``Config`` and its parts), and ``load_config``, which
reads the file and reports every problem of it at once, each at its file:line:column."""

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.config.models import Config

__all__ = ["Config", "LoadedConfig", "load_config"]
