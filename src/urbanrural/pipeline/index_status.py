"""Whether an index may be published, and under which name.

Where the data fill only part of a framework, the index is computed only above a documented
minimum — a share ``min_dimensions`` of its top-level dimensions, and (when the framework
declares ``dimension_roles``) at least one indicator of those roles (e.g. an urban–rural
comparison) in every dimension it keeps — and its name then says "partial (k of n
dimensions)" in every title, table, sheet and map.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data.errors import DataError
from .framework import Framework
from .index import IndexResult

__all__ = ["IndexStatus", "index_status"]


@dataclass(frozen=True)
class IndexStatus:
    """What a framework run may publish.

    Attributes
    ----------
    framework : the framework id.
    n_dimensions, k_dimensions : top-level dimensions in the framework, and filled by the data.
    computable : True when the index meets the framework's minimum.
    partial : True when computable with fewer than all dimensions.
    kept, missing : (id, name_zh, name_en) of the dimensions filled and not filled.
    reason_zh, reason_en : why it is not computable (empty when it is).
    name_zh, name_en : the name to print: the framework's, with the partial qualifier.
    """

    framework: str
    n_dimensions: int
    k_dimensions: int
    computable: bool
    partial: bool
    kept: tuple[tuple[str, str, str], ...]
    missing: tuple[tuple[str, str, str], ...]
    reason_zh: str
    reason_en: str
    name_zh: str
    name_en: str


def index_status(fw: Framework, result: IndexResult | None,
                 error: DataError | None = None) -> IndexStatus:
    """Apply the framework's minimum to a run (``result``, or the ``error`` it raised).

    Examples
    --------
    >>> import urbanrural as ur
    >>> fw = ur.load_framework("national_integration_integrated_survey")
    >>> st = index_status(fw, ur.run_index(ur.load_dataset("china_national"), fw))
    >>> st.computable, st.partial, st.name_en.endswith("partial (2 of 3 dimensions)")
    (True, True, True)
    """
    dims = [(c.id, c.name_zh, c.name_en) for c in fw.root.children]
    n = len(dims)
    if result is None:
        why = "; ".join(i.reason for i in error.issues) if error is not None else "not run"
        return IndexStatus(fw.id, n, 0, False, False, (), tuple(dims),
                           f"数据无法计算该指数：{why}", f"the data cannot fill the index: {why}",
                           fw.name_zh, fw.name_en)
    sc = result.tables["scores"]
    kept_ids = {c for c in sc.columns} & {d[0] for d in dims}
    if n == 1 or all(c.is_leaf for c in fw.root.children):  # a flat framework: one dimension
        kept_ids = {d[0] for d in dims} if len(sc) else set()
    kept = tuple(d for d in dims if d[0] in kept_ids)
    missing = tuple(d for d in dims if d[0] not in kept_ids)
    k = len(kept)
    roles = tuple(fw.spec.get("dimension_roles", ()) or ())
    used = set(result.tables["indicators"]["indicator"]) if "indicators" in result.tables else set()
    lacking = []
    if roles:
        for c in fw.root.children:
            if c.id in kept_ids and not any(lf.role in roles and lf.id in used
                                            for lf in c.leaves()):
                lacking.append(c)
    share_ok = n > 0 and k / n >= fw.min_dimensions and k > 0
    computable = share_ok and not lacking and len(sc) > 0
    reason_zh = reason_en = ""
    if not share_ok:
        reason_zh = (f"数据只覆盖{n}个维度中的{k}个，低于框架规定的最低比例{fw.min_dimensions:.0%}")
        reason_en = (f"the data fill {k} of {n} dimensions, below the framework's minimum "
                     f"share {fw.min_dimensions:.0%}")
    elif lacking:
        names_zh = "、".join(c.name_zh for c in lacking)
        names_en = ", ".join(c.name_en for c in lacking)
        reason_zh = f"维度（{names_zh}）没有城乡对比或流动指标"
        reason_en = f"dimension(s) {names_en} hold no urban–rural comparison or flow"
    partial = computable and k < n
    name_zh, name_en = fw.name_zh, fw.name_en
    if partial:
        name_zh = f"{fw.name_zh}（部分：{n}个维度中的{k}个）"
        name_en = f"{fw.name_en}, partial ({k} of {n} dimensions)"
    return IndexStatus(fw.id, n, k, computable, partial, kept, missing, reason_zh, reason_en,
                       name_zh, name_en)
