"""The unified user core."""
from facade.core.service import UserCore

__all__ = ["UserCore"]
