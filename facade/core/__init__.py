"""The unified user core (``facade.core.service.UserCore``). Empty on purpose: its modules import
each other by module path, so importing any one of them never runs another's import first."""
