"""``python -m emergence``."""

from .cli import main

main()
