"""The bundled CJK font (WenQuanYi Micro Hei, GB2312 subset, Apache-2.0): its path, and
matplotlib set up to draw Chinese with it (SVG text as paths, so figures show anywhere)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["font_path", "setup_matplotlib_font"]


def font_path() -> Path:
    return Path(str(resources.files("urbanrural.outputs") / "fonts" / "wqy-microhei-gb2312.ttf"))


def setup_matplotlib_font() -> str:
    """Register the bundled font with matplotlib and make it the default family."""
    import matplotlib
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"
    return name
