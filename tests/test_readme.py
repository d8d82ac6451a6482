"""The README's Python snippet runs as written, and its two set-up commands are the ones CI
runs."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_python_snippet_runs():
    text = README.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    assert namespace["nat"].tables["scores"].year.min() >= 1978
    assert 0 < namespace["ur"].gini(namespace["x"], weights=namespace["pop"]) < 1


def test_the_two_commands_open_the_readme_and_ci_runs_the_second():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert block[0] == "pip install . && urbanrural report"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1] in ci
