"""Escaping for every place a user's string can reach in the page, and safe element ids.

Contexts and their escapers (Jinja2's autoescape covers element text and quoted attributes):

* JSON inside ``<script>`` → :func:`script_json` (``<``, ``>``, ``&``, U+2028, U+2029 as ``\\uXXXX``:
  no ``</script>`` or ``<!--`` can survive).
* Plotly labels → :func:`plotly_text` (Plotly renders a subset of HTML in titles, names, ticks).
* ``id=`` / ``href="#…"`` → :class:`Slugs` (``[A-Za-z0-9_-]``, unique, deterministic).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

__all__ = ["script_json", "plotly_text", "Slugs"]

_SCRIPT_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                      "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe to inline in a ``<script>`` element.

    Examples
    --------
    >>> script_json({"a": "</script><b>"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    return json.dumps(value, ensure_ascii=False, allow_nan=False).translate(_SCRIPT_JSON_ESCAPES)


def plotly_text(value: Any) -> str:
    """A label for Plotly, which renders a subset of HTML (``<b>``, ``<a href>``…) in titles,
    trace names and tick labels: entities make it show the text exactly as written.

    Examples
    --------
    >>> plotly_text("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    """
    return html.escape(str(value), quote=False)


_SAFE = re.compile(r"[A-Za-z0-9_-]+")


class Slugs:
    """Unique, safe, deterministic element ids from arbitrary strings.

    A string made of ``[A-Za-z0-9_-]`` is kept (links stay readable); any other keeps its safe
    characters and gains 8 hex digits of its SHA-1. A slug already taken gets a counter.

    Examples
    --------
    >>> s = Slugs()
    >>> s("national"), s('"><img onerror=x>')[:13], s("national")
    ('national', 'img-onerror-x', 'national-2')
    """

    def __init__(self, reserved: tuple[str, ...] = ()):
        self.used: set[str] = set(reserved)

    def __call__(self, text: str) -> str:
        text = str(text)
        if _SAFE.fullmatch(text):
            base = text
        else:
            kept = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "id"
            base = f"{kept}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"
        slug, n = base, 2
        while slug in self.used:
            slug, n = f"{base}-{n}", n + 1
        self.used.add(slug)
        return slug
