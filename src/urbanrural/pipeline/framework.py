"""Indicator frameworks as data: a YAML (or dict) spec of systems → dimensions → indicators
(any depth ≥ 1), with directions, sources or formulas, and weights per level.

Example::

    id: my_index
    name_zh: 城乡融合指数
    name_en: Urban–rural integration index
    weights: equal                 # how the top-level nodes are combined; a method name,
                                   # fixed numbers {child: w}, or {ahp: [[1, 3], [1/3, 1]]}
    nodes:
      - id: income
        name_zh: 收入差距
        name_en: Income gap
        weights: entropy           # how its children are weighted (method or numbers)
        indicators:
          - id: income_ratio
            name_zh: 城乡居民收入比
            name_en: Urban–rural income ratio
            unit: 倍
            direction: cost
            formula: {kind: ratio, a: urban_disposable_income, b: rural_net_income}
          - id: gdp_per_capita
            ...
            source: gdp_pc          # an indicator of the panel

Fixed weights are given as a mapping ``{child id: weight}`` that must sum to 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ..data.errors import DataError, Issue

__all__ = ["Node", "Framework", "load_framework", "BUILTIN_FRAMEWORKS"]

# An id names tables, sheets, files and page anchors, so it is a plain identifier: letters
# (any script), digits, "_", "-" and "."; free text belongs in name_zh / name_en.
ID_PATTERN = re.compile(r"\w[\w.-]{0,63}")
# the largest framework read: the built-in ones have < 100 nodes; the cap (with aliases
# refused and the walk stopped at a repeated id) keeps a small hostile file from costing
# gigabytes (an 808-byte file of nested aliases expanded to 8**7 nodes: 25 s and 1.27 GB)
MAX_NODES = 5_000


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (``*name``): an alias repeats a subtree, and a
    few nested ones expand a file of a kilobyte into millions of nodes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(
                f"框架文件不能使用 YAML 别名（*名称，第 {mark.line + 1} 行），请把每个节点写全 / "
                f"YAML aliases (*name, line {mark.line + 1}) are not allowed in a framework "
                "file: write each node out")
        return super().compose_node(parent, index)
FORMULA_KINDS = ("ratio", "difference", "share", "per_capita")
# What an indicator measures. An integration index is built from urban–rural comparisons and
# flows (METHODS_GUIDE §8: "an index must measure its name"); the rule that every dimension
# holds at least one of them is checked when the index is computed.
ROLES = ("comparison", "flow", "level", "distribution", "sharing")


@dataclass
class Node:
    """A node of the framework tree: a dimension (with children) or an indicator (leaf)."""

    id: str
    name_zh: str
    name_en: str
    children: list[Node] = field(default_factory=list)
    weights: str | dict = "equal"
    # leaf fields
    direction: int = 1
    unit: str = ""
    source: str | None = None
    formula: dict | None = None
    notes: str = ""
    literature: str = ""
    role: str = ""
    needs: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def leaves(self) -> list[Node]:
        return [self] if self.is_leaf else [x for c in self.children for x in c.leaves()]

    def walk(self, depth: int = 0, parent: str | None = None):
        yield self, depth, parent
        for c in self.children:
            yield from c.walk(depth + 1, self.id)


@dataclass
class Framework:
    """A validated framework: the tree (``root``), options, and the raw spec it came from."""

    id: str
    name_zh: str
    name_en: str
    root: Node
    spec: dict
    normalization: dict = field(default_factory=dict)
    coupling: dict | None = None
    years: tuple[int, int] | None = None
    min_coverage: float = 0.8
    dataset: str | None = None
    description: str = ""
    min_dimensions: float = 0.0
    series_group: str = ""

    def indicators(self) -> list[Node]:
        return self.root.leaves()

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.spec, allow_unicode=True, sort_keys=False)


def _direction(v, where: str) -> int:
    if v is None:
        raise DataError(Issue("indicator has no direction (benefit or cost)", value=where))
    s = str(v).strip().lower()
    if s in ("+", "1", "+1", "benefit", "positive", "正", "正向"):
        return 1
    if s in ("-", "-1", "cost", "negative", "负", "负向", "逆向"):
        return -1
    raise DataError(Issue(f"direction must be benefit or cost, not {v!r}", value=where))


def _weight_methods() -> tuple[str, ...]:
    """The registered weighting methods (the one list the YAML, CLI and docs read)."""
    from ..methods.composite.weights import WEIGHTS

    return tuple(WEIGHTS)


def _aggregations() -> tuple[str, ...]:
    from ..methods.composite.aggregate import AGGREGATIONS

    return tuple(AGGREGATIONS)


def _node(d: dict, path: str, seen: set[str], issues: list[Issue]) -> Node:
    if not isinstance(d, dict) or "id" not in d:
        issues.append(Issue("every node needs an id", value=path))
        return Node("?", "", "")
    nid = "" if d["id"] is None else str(d["id"])
    where = f"{path}/{nid}"
    if not ID_PATTERN.fullmatch(nid):
        issues.append(Issue(
            "id 只能含字母、数字、_、- 和 .（以字母、数字或 _ 开头，至多64个字符），文字请写在 "
            "name_zh / name_en; an id may hold only letters, digits, '_', '-' and '.' (starting "
            "with a letter, digit or '_', at most 64 characters): it names tables, files and "
            "page anchors, and free text belongs in name_zh / name_en", value=where))
    if nid in seen:  # the walk stops here: a repeated subtree is not expanded again
        issues.append(Issue("id used twice in the framework (a cycle or a duplicate)",
                            value=where))
        return Node(nid, str(d.get("name_zh", "")), str(d.get("name_en", "")))
    if len(seen) >= MAX_NODES:
        raise DataError(Issue(f"框架超过 {MAX_NODES:,} 个节点 / the framework has more than "
                              f"{MAX_NODES:,} nodes, more than this reader opens", value=where))
    seen.add(nid)
    kids_spec = d.get("nodes") or d.get("dimensions") or d.get("indicators") or []
    for key in ("name_zh", "name_en"):
        if not d.get(key):
            issues.append(Issue(f"missing {key} (every label is bilingual)", value=where))
    node = Node(nid, str(d.get("name_zh", "")), str(d.get("name_en", "")),
                notes=str(d.get("notes", "")), literature=str(d.get("literature", "")))
    if kids_spec:
        node.children = [_node(k, where, seen, issues) for k in kids_spec]
        w = d.get("weights", "equal")
        if isinstance(w, dict) and "ahp" in w:
            # AHP judgements over the children, in their order: principal eigenvector, CR < 0.1
            from ..methods.composite.weights import ahp_weights

            try:
                res = ahp_weights(w["ahp"], accept_inconsistent=bool(
                    w.get("accept_inconsistent", False)))
                if len(res.weights) != len(node.children):
                    raise DataError(f"the AHP matrix is {len(res.weights)}×{len(res.weights)}"
                                    f" for {len(node.children)} children")
                w = {c.id: float(x) for c, x in zip(node.children, res.weights, strict=True)}
                node.notes = (node.notes + f" AHP: λmax={res.lambda_max:.4f}, "
                              f"CR={res.cr:.4f}").strip()
            except DataError as e:
                issues.extend(Issue(i.reason, value=where) for i in e.issues)
                w = "equal"
        if isinstance(w, dict):
            ids = {c.id for c in node.children}
            if set(map(str, w)) != ids:
                issues.append(Issue(f"fixed weights must name exactly the children {sorted(ids)}",
                                    value=where))
            elif abs(sum(float(v) for v in w.values()) - 1) > 1e-6:
                issues.append(Issue(f"weights sum to {sum(float(v) for v in w.values()):g}, "
                                    "not 1", value=where))
            elif any(float(v) < 0 for v in w.values()):
                issues.append(Issue("weights must be non-negative", value=where))
            node.weights = {str(k): float(v) for k, v in w.items()}
        elif w in _weight_methods():
            node.weights = w
        else:
            issues.append(Issue(f"unknown weight method {w!r}; use one of "
                                f"{', '.join(_weight_methods())} or "
                                "fixed numbers", value=where))
    else:
        try:
            node.direction = _direction(d.get("direction"), where)
        except DataError as e:
            issues.extend(e.issues)
        node.unit = str(d.get("unit", ""))
        node.needs = str(d.get("needs", ""))
        role = d.get("role", "")
        if role and role not in ROLES:
            issues.append(Issue(f"role must be one of {', '.join(ROLES)}, not {role!r}",
                                value=where))
        node.role = str(role or "")
        node.source = d.get("source")
        node.formula = d.get("formula")
        if (node.source is None) == (node.formula is None):
            issues.append(Issue("an indicator needs exactly one of 'source' (a panel "
                                "indicator) or 'formula'", value=where))
        if node.formula is not None:
            f = node.formula
            if not isinstance(f, dict) or f.get("kind") not in FORMULA_KINDS or \
                    not f.get("a") or not f.get("b"):
                issues.append(Issue(f"formula needs kind ({', '.join(FORMULA_KINDS)}), a and b",
                                    value=where))
    return node


def parse_framework(spec: dict, *, source: str = "") -> Framework:
    """Validate a spec (dict) and build the :class:`Framework`; every problem is reported."""
    issues: list[Issue] = []
    if not isinstance(spec, dict):
        raise DataError(Issue("a framework spec must be a mapping", value=source))
    top = {k: spec[k] for k in ("id", "name_zh", "name_en", "weights") if k in spec}
    top["nodes"] = spec.get("nodes") or spec.get("dimensions") or spec.get("systems") or \
        spec.get("indicators")
    if not top["nodes"]:
        raise DataError(Issue("the framework has no nodes (systems, dimensions or indicators)",
                              value=source))
    root = _node(top, "", set(), issues)
    norm = dict(spec.get("normalization", {"method": "minmax", "mode": "pooled"}))
    if norm.get("mode", "pooled") not in ("pooled", "per_year", "goalposts"):
        issues.append(Issue("normalization mode must be pooled, per_year or goalposts",
                            value=source))
    from ..methods.composite.normalize import NORMALISATIONS

    if norm.get("method", "minmax") not in NORMALISATIONS:
        issues.append(Issue(f"normalization method {norm.get('method')!r} is not one of "
                            f"{', '.join(NORMALISATIONS)} / 未知的标准化方法", value=source))
    coupling = spec.get("coupling")
    if coupling:
        ids = {c.id for c in root.children}
        systems = coupling.get("systems", [])
        if len(systems) < 2 or not set(systems) <= ids:
            issues.append(Issue(f"coupling systems must be ≥ 2 top-level nodes of {sorted(ids)}",
                                value=source))
    agg = spec.get("aggregation", "weighted_sum")
    if agg not in _aggregations():
        issues.append(Issue(f"unknown aggregation {agg!r}; use one of "
                            f"{', '.join(_aggregations())}", value=source))
    years = spec.get("years")
    min_dims = spec.get("min_dimensions", 0.0)
    if not isinstance(min_dims, (int, float)) or not 0 <= min_dims <= 1:
        issues.append(Issue("min_dimensions is the share of top-level dimensions an index needs, "
                            f"a number in [0, 1], not {min_dims!r}", value=source))
        min_dims = 0.0
    if issues:
        raise DataError(issues)
    return Framework(
        id=root.id, name_zh=root.name_zh, name_en=root.name_en, root=root, spec=spec,
        normalization=norm, coupling=coupling,
        years=tuple(years) if years else None,
        min_coverage=float(spec.get("min_coverage", 0.8)), dataset=spec.get("dataset"),
        description=str(spec.get("description", "")), min_dimensions=float(min_dims),
        series_group=str(spec.get("series_group", "")))


def _builtin_dir():
    return resources.files("urbanrural.pipeline") / "frameworks"


BUILTIN_FRAMEWORKS = ("urban_rural_integration", "common_prosperity", "urban_rural_services",
                      "national_integration_old_survey",
                      "national_integration_integrated_survey")


def load_framework(name_or_path: str | Path | dict) -> Framework:
    """A built-in framework by name, a YAML file, or a dict spec.

    The spec is validated when it is loaded (ids, directions, sources or formulas, weights
    summing to 1); see the module docstring for its form.

    Parameters
    ----------
    name_or_path : str, pathlib.Path or dict
        A name in :data:`BUILTIN_FRAMEWORKS`, the path of a YAML file, or the spec itself.

    Returns
    -------
    Framework
        The parsed tree of dimensions and indicators.

    Raises
    ------
    DataError
        For an unknown name or missing file, invalid YAML, or a spec that does not validate
        (each problem named by its path in the tree).

    Examples
    --------
    >>> fw = load_framework("urban_rural_integration")
    >>> fw.id, [node.id for node in fw.root.children]
    ('urban_rural_integration', ['living_standards', 'public_services', 'infrastructure', 'factor_flows'])
    >>> spec = {"id": "income_gap", "name_zh": "收入差距", "name_en": "Income gap",
    ...         "nodes": [{"id": "ratio", "name_zh": "城乡收入比", "name_en": "Income ratio",
    ...                    "direction": "cost", "source": "income_ratio"}]}
    >>> [leaf.id for leaf in load_framework(spec).indicators()]
    ['ratio']
    """
    if isinstance(name_or_path, dict):
        return parse_framework(name_or_path, source="dict")
    s = str(name_or_path)
    if s in BUILTIN_FRAMEWORKS:
        text = (_builtin_dir() / f"{s}.yaml").read_text(encoding="utf-8")
        return parse_framework(yaml.safe_load(text), source=s)
    p = Path(s)
    if not p.exists():
        raise DataError(Issue(f"no such framework: not built in ({', '.join(BUILTIN_FRAMEWORKS)}) "
                              "and not a file", value=s))
    try:
        spec = yaml.load(p.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        raise DataError(Issue(f"not valid YAML: {exc}", file=p.name)) from exc
    return parse_framework(spec, source=p.name)
