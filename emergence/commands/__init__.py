"""Subcommands of the ``emergence`` CLI, one module each (imported lazily by ``cli.py``)."""
