"""Reproducibility signatures, in the manner of sacrebleu: what produced a result.

A signature is an ordered mapping — xlner version, data (dataset, split, labels, limit), the
confidence threshold, and the signature of every backend a method used (model, settings,
library versions, seed) — printed as one line::

    xlner:0.2.0|data:conll02-es/test|labels:PER,ORG,LOC|limit:-|min_score:0|translator:apertium|auto|...

With the gold source (``xlner run --source gold``) the data field is followed by
``source:gold`` and the methods have no translator and no English tagger. It is written to
``run.json``, to every ``scores/<lang>/<method>.json`` and to the head of ``results.md``. A
resumed run compares signatures field by field and refuses to mix results computed by
different versions or stages, naming what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xlner import __version__
from xlner.methods import Method
from xlner.steps import Plan, SourceSide

Signature = dict[str, str]


def base_signature(
    dataset: str,
    split: str,
    labels: Sequence[str] | None,
    limit: int | None,
    min_score: float,
    source: SourceSide = "mt",
) -> Signature:
    gold = {"source": "gold"} if source == "gold" else {}  # MT signatures stay as they were
    return {
        "xlner": __version__,
        "data": f"{dataset}/{split}",
        **gold,
        "labels": ",".join(labels) if labels else "all",
        "limit": str(limit) if limit else "-",
        "min_score": f"{min_score:g}",
    }


def method_signature(
    base: Mapping[str, str], stages: Mapping[str, str], plan: Plan, method: Method
) -> Signature:
    """The signature of one method's results: ``base`` plus the signatures of the backends
    it ran in ``plan`` (:meth:`~xlner.steps.Plan.method_roles`)."""
    return {**base, **{r: stages[r] for r in plan.method_roles(method)}}


def run_signature(base: Mapping[str, str], stages: Mapping[str, str], plan: Plan) -> Signature:
    """The union over the methods of a run."""
    return {**base, **{r: stages[r] for r in plan.roles() if r in stages}}


def format_signature(sig: Mapping[str, str]) -> str:
    """``key:value|key:value``; a backend's own ``|`` separators become ``,``."""
    return "|".join(f"{k}:{v.replace('|', ',')}" for k, v in sig.items())


def differences(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """Human-readable fields that differ (``aligner: 'a' -> 'b'``)."""
    keys = [*old, *[k for k in new if k not in old]]
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]
