"""Commands of ``urbanrural`` beyond the core ones in :mod:`urbanrural.cli`, one module each.

A command module defines ``add(sub, make_parser) -> None``: it calls
``make_parser(sub, name, zh, en, example)`` (the bilingual parser factory of the CLI), adds
its arguments and ``set_defaults(func=run)``, where ``run(args) -> int`` returns the exit
code. Keep heavy imports inside ``run`` so that ``urbanrural --help`` stays fast. Adding a
command is one module here and one name in :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["COMMANDS", "add_all"]

COMMANDS: tuple[str, ...] = ("serve", "simulate", "robustness", "paths", "evaluate")


def add_all(sub, make_parser: Callable) -> None:
    """Register every command of :data:`COMMANDS` on the subparsers ``sub``."""
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add(sub, make_parser)
