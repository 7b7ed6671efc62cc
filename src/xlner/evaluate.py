"""Entity-level evaluation with seqeval semantics (default, non-strict mode).

Spans are decoded from tags with seqeval's chunking rules (:func:`xlner.data.tags_to_spans`),
so exact-match counting of ``(sentence, start, end, label)`` equals
``seqeval.metrics.classification_report``. The reference protocol scores PER, ORG and LOC only:
every other label (DATE, MISC) is mapped to O in gold and prediction first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from xlner.data import REFERENCE_LABELS, Sentence, Span
from xlner.errors import XlnerError


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # gold entities
    predicted: int
    correct: int

    @classmethod
    def from_counts(cls, correct: int, predicted: int, support: int) -> PRF:
        p = correct / predicted if predicted else 0.0
        r = correct / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, support, predicted, correct)


@dataclass(frozen=True)
class Scores:
    overall: PRF
    per_label: dict[str, PRF]
    proj_ratio: float | None
    n_sentences: int
    labels: tuple[str, ...] | None = field(default=None)

    def to_dict(self) -> dict:
        return {
            "overall": asdict(self.overall),
            "per_label": {k: asdict(v) for k, v in self.per_label.items()},
            "proj_ratio": self.proj_ratio,
            "n_sentences": self.n_sentences,
            "labels": list(self.labels) if self.labels is not None else None,
        }


def check_alignable(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> None:
    """Gold and prediction must hold the same sentences with the same tokens."""
    if len(gold) != len(pred):
        raise XlnerError(f"gold has {len(gold)} sentences but the prediction has {len(pred)}")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g.tokens != p.tokens:
            diff = next(
                (j for j, (a, b) in enumerate(zip(g.tokens, p.tokens)) if a != b),
                min(len(g.tokens), len(p.tokens)),
            )
            raise XlnerError(
                f"sentence {i + 1} (id {g.id}) differs: gold has {len(g.tokens)} tokens, "
                f"prediction {len(p.tokens)}; first difference at token {diff + 1}"
            )


def proj_ratio(gold: Iterable[Sequence[Span]], pred: Iterable[Sequence[Span]]) -> float | None:
    """Mean over sentences of (#predicted / #gold entities), sentences without gold excluded."""
    ratios = [len(p) / len(g) for g, p in zip(gold, pred) if len(g)]
    return sum(ratios) / len(ratios) if ratios else None


def score_spans(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    labels: Iterable[str] | None = REFERENCE_LABELS,
) -> Scores:
    """Micro P/R/F1 over exact ``(start, end, label)`` matches, plus per label.

    ``labels`` restricts scoring to those labels (others are O); ``None`` scores every label.
    """
    if len(gold) != len(pred):
        raise XlnerError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    keep = None if labels is None else tuple(labels)
    keep_set = None if keep is None else set(keep)
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_ok: Counter[str] = Counter()
    gold_kept: list[list[Span]] = []
    pred_kept: list[list[Span]] = []
    for g_spans, p_spans in zip(gold, pred):
        g = {(s.start, s.end, s.label) for s in g_spans if keep_set is None or s.label in keep_set}
        p = {(s.start, s.end, s.label) for s in p_spans if keep_set is None or s.label in keep_set}
        n_gold.update(x[2] for x in g)
        n_pred.update(x[2] for x in p)
        n_ok.update(x[2] for x in g & p)
        gold_kept.append([Span(*x) for x in g])
        pred_kept.append([Span(*x) for x in p])
    names = sorted(set(n_gold) | set(n_pred) | (keep_set or set()))
    per_label = {lab: PRF.from_counts(n_ok[lab], n_pred[lab], n_gold[lab]) for lab in names}
    overall = PRF.from_counts(sum(n_ok.values()), sum(n_pred.values()), sum(n_gold.values()))
    return Scores(overall, per_label, proj_ratio(gold_kept, pred_kept), len(gold), keep)


def evaluate(
    gold: Sequence[Sentence],
    pred: Sequence[Sentence],
    labels: Iterable[str] | None = REFERENCE_LABELS,
) -> Scores:
    """Score predicted sentences against gold ones (same sentences, same tokens)."""
    check_alignable(gold, pred)
    return score_spans([g.spans or [] for g in gold], [p.spans or [] for p in pred], labels=labels)


def format_table(scores: Scores, digits: int = 4) -> str:
    """A plain-text table like seqeval's classification report, plus proj_ratio."""
    rows = [("label", "precision", "recall", "f1", "support", "predicted")]
    for lab, s in scores.per_label.items():
        rows.append(
            (
                lab,
                *(f"{x:.{digits}f}" for x in (s.precision, s.recall, s.f1)),
                str(s.support),
                str(s.predicted),
            )
        )
    o = scores.overall
    rows.append(
        (
            "overall (micro)",
            *(f"{x:.{digits}f}" for x in (o.precision, o.recall, o.f1)),
            str(o.support),
            str(o.predicted),
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    pr = "n/a" if scores.proj_ratio is None else f"{scores.proj_ratio:.{digits}f}"
    lines.append(f"proj_ratio: {pr}   sentences: {scores.n_sentences}")
    return "\n".join(lines)
