"""Method registries: one per family (normalisation, weights, aggregation, inequality), looked
up by name as COINr looks up ``f_n``/``f_ag``. Adding a method is one function and one
``@FAMILY.register(...)`` line; the YAML frameworks, the CLI and the docs read the same
registry, so nothing is kept in sync by hand.

Examples
--------
>>> from urbanrural.methods.composite.weights import WEIGHTS
>>> "entropy" in WEIGHTS, WEIGHTS["entropy"].label_en
(True, 'Entropy weights')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Method", "Registry"]


@dataclass(frozen=True)
class Method:
    """A registered method: its name, function and bilingual label."""

    name: str
    func: Callable
    label_zh: str
    label_en: str
    summary: str = ""

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


class Registry(Mapping[str, Method]):
    """Name → :class:`Method` for one family; unknown names are an error listing the known."""

    def __init__(self, family: str, signature: str):
        self.family = family
        self.signature = signature
        self._methods: dict[str, Method] = {}

    def register(self, name: str, *, label_zh: str, label_en: str, summary: str = ""
                 ) -> Callable[[Callable], Callable]:
        def add(func: Callable) -> Callable:
            if name in self._methods:
                raise ValueError(f"{self.family}: {name!r} is registered twice")
            self._methods[name] = Method(name, func, label_zh, label_en,
                                         summary or (func.__doc__ or "").strip().split("\n")[0])
            return func
        return add

    def __getitem__(self, name: str) -> Method:
        try:
            return self._methods[name]
        except KeyError:
            raise KeyError(f"unknown {self.family} method {name!r}; known: "
                           f"{', '.join(self._methods)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    def table(self):
        """The registry as a tidy table (name, labels, summary) for docs and ``--help``."""
        import pandas as pd

        return pd.DataFrame([{"name": m.name, "label_zh": m.label_zh, "label_en": m.label_en,
                              "summary": m.summary} for m in self._methods.values()])
