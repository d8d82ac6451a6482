"""Commands of ``urbanrural`` beyond the core ones in :mod:`urbanrural.cli`, one module each.

A command module defines ``add(sub, make_parser) -> None``: it calls
``make_parser(sub, name, zh, en, example)`` (the bilingual parser factory of the CLI), adds
its arguments and ``set_defaults(func=run)``, where ``run(args) -> int`` returns the exit
code. Keep heavy imports inside ``run`` so that ``urbanrural --help`` stays fast. Adding a
command is one module here and one name in :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable

__all__ = ["COMMANDS", "add_all", "say"]

# C0 and C1 control characters but newline: a user's label (a framework name, a region, a file
# path) must not reach the terminal as an escape sequence
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def say(*parts: object, file=None) -> None:
    """``print`` for the commands: every control character of the text (ESC, CR, BEL…) is
    shown as ``\\xNN`` rather than sent to the terminal.

    Examples
    --------
    >>> say("framework", "evil\x1b[2Jname")
    framework evil\\x1b[2Jname
    """
    text = " ".join(str(p) for p in parts)
    print(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text), file=file or sys.stdout)

COMMANDS: tuple[str, ...] = ("serve", "simulate", "robustness", "paths", "evaluate")


def add_all(sub, make_parser: Callable) -> None:
    """Register every command of :data:`COMMANDS` on the subparsers ``sub``."""
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add(sub, make_parser)
