"""povsim: an agent-based simulation of poverty-alleviation policy rollout in rural China."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("povsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
