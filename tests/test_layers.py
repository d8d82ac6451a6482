"""Data flows one way: data → methods → pipeline → outputs → interfaces. A module never imports
a higher layer, not even inside a function (where lazy imports hide)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "urbanrural"
LAYERS = {"_version": 0, "data": 1, "methods": 2, "pipeline": 3, "outputs": 4, "cli": 5,
          "commands": 5, "web": 5, "__init__": 5, "__main__": 5}
NAMES = {0: "version", 1: "data", 2: "methods", 3: "pipeline", 4: "outputs", 5: "interfaces"}


def _module(path: Path) -> list[str]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts


def _layer(parts: list[str]) -> int:
    if len(parts) == 1:  # the package itself: urbanrural/__init__.py, the Python API
        return LAYERS["__init__"]
    return LAYERS[parts[1]]


def _imports(path: Path) -> list[tuple[int, list[str]]]:
    """(line, absolute module parts) of every import of urbanrural in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path)
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = base + (node.module.split(".") if node.module else [])
            else:
                mod = node.module.split(".") if node.module else []
            if mod and mod[0] == "urbanrural":
                if len(mod) == 1:  # from urbanrural import x / from .. import x
                    for alias in node.names:
                        sub = alias.name
                        out.append((node.lineno, mod + [sub] if sub in LAYERS else mod))
                else:
                    out.append((node.lineno, mod))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                mod = alias.name.split(".")
                if mod[0] == "urbanrural":
                    out.append((node.lineno, mod))
    return out


def test_no_module_imports_a_higher_layer():
    bad = []
    files = [p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts]
    assert len(files) > 40
    for path in files:
        mine = _layer(_module(path))
        for line, mod in _imports(path):
            theirs = _layer(mod)
            if theirs > mine:
                bad.append(f"{path.relative_to(PKG)}:{line} ({NAMES[mine]}) imports "
                           f"{'.'.join(mod)} ({NAMES[theirs]})")
    assert bad == []


def test_the_checker_sees_relative_imports(tmp_path):
    # the rule itself: a methods module importing the top-level package is caught
    fake = PKG / "methods" / "gaps.py"
    assert _layer(_module(fake)) == 2
    assert _layer(["urbanrural"]) == 5
    assert _layer(["urbanrural", "pipeline", "report"]) == 3


def test_import_is_fast_and_lazy():
    """``import urbanrural`` loads no pandas, SciPy or plotting (issue: 2.2 s of eager imports);
    the public names import their module on first use."""
    import subprocess
    import sys

    probe = ("import sys, urbanrural as ur\n"
             "heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'plotly', 'numba', 'giddy')"
             " if m in sys.modules]\n"
             "assert heavy == [], heavy\n"
             "assert ur.gini([1, 1, 1]) == 0\n"
             "assert 'pandas' in sys.modules\n"
             "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_no_import_cycle_in_the_inequality_modules():
    """dagum ↔ distributed ↔ entropy imported each other (lazily); the Dask module now only
    returns sums and imports no sibling measure module."""
    path = PKG / "methods" / "inequality" / "distributed.py"
    mods = {".".join(m[-1:]) for _, m in _imports(path)}
    assert not mods & {"dagum", "entropy", "gini", "dispersion", "overtime"}, mods
