"""Entity-level evaluation with seqeval semantics (default, non-strict mode).

Spans are decoded from tags with seqeval's chunking rules (:func:`xlner.data.tags_to_spans`),
so exact-match counting of ``(sentence, start, end, label)`` equals
``seqeval.metrics.classification_report``. The reference protocol scores PER, ORG and LOC only:
every other label (DATE, MISC) is mapped to O in gold and prediction first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

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


def check_pair(
    i: int, g: Sentence, p: Sentence, names: tuple[str, str] = ("gold", "prediction")
) -> None:
    """Sentence ``i`` (0-based) of gold and prediction must have the same tokens."""
    if g.tokens == p.tokens:
        return
    diff = next(
        (j for j, (a, b) in enumerate(zip(g.tokens, p.tokens)) if a != b),
        min(len(g.tokens), len(p.tokens)),
    )
    gw = g.tokens[diff] if diff < len(g.tokens) else "<end>"
    pw = p.tokens[diff] if diff < len(p.tokens) else "<end>"
    gold, pred = names
    raise XlnerError(
        f"sentence {i + 1} (id {g.id}) differs: {gold} has {len(g.tokens)} tokens, {pred} "
        f"{len(p.tokens)}; first difference at token {diff + 1}: {gold} {gw!r}, {pred} {pw!r}"
    )


def count_mismatch(names: tuple[str, str], n_gold: int, n_pred: int) -> XlnerError:
    """The one-line error for files that hold different numbers of sentences."""
    return XlnerError(
        f"{names[0]} has {n_gold} sentences, {names[1]} has {n_pred}: they must hold the same "
        "sentences in the same order"
    )


def proj_ratio(gold: Iterable[Sequence[Span]], pred: Iterable[Sequence[Span]]) -> float | None:
    """Mean over sentences of (#predicted / #gold entities), sentences without gold excluded."""
    ratios = [len(p) / len(g) for g, p in zip(gold, pred) if len(g)]
    return sum(ratios) / len(ratios) if ratios else None


class ScoreCounter:
    """Entity counts accumulated sentence by sentence (streaming evaluation); :meth:`result`
    gives the same :class:`Scores` as :func:`score_spans` on all the sentences at once."""

    def __init__(self, labels: Iterable[str] | None = REFERENCE_LABELS) -> None:
        self.labels = None if labels is None else tuple(labels)
        self._keep = None if self.labels is None else set(self.labels)
        self.n_gold: Counter[str] = Counter()
        self.n_pred: Counter[str] = Counter()
        self.n_ok: Counter[str] = Counter()
        self.ratio_sum = 0.0
        self.ratio_n = 0
        self.n_sentences = 0

    def add(self, gold: Sequence[Span], pred: Sequence[Span]) -> None:
        keep = self._keep
        g = {(s.start, s.end, s.label) for s in gold if keep is None or s.label in keep}
        p = {(s.start, s.end, s.label) for s in pred if keep is None or s.label in keep}
        self.n_gold.update(x[2] for x in g)
        self.n_pred.update(x[2] for x in p)
        self.n_ok.update(x[2] for x in g & p)
        if g:
            self.ratio_sum += len(p) / len(g)
            self.ratio_n += 1
        self.n_sentences += 1

    def result(self) -> Scores:
        names = sorted(set(self.n_gold) | set(self.n_pred) | (self._keep or set()))
        per_label = {
            lab: PRF.from_counts(self.n_ok[lab], self.n_pred[lab], self.n_gold[lab])
            for lab in names
        }
        overall = PRF.from_counts(
            sum(self.n_ok.values()), sum(self.n_pred.values()), sum(self.n_gold.values())
        )
        ratio = self.ratio_sum / self.ratio_n if self.ratio_n else None
        return Scores(overall, per_label, ratio, self.n_sentences, self.labels)


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
    counter = ScoreCounter(labels)
    for g, p in zip(gold, pred):
        counter.add(g, p)
    return counter.result()


def evaluate(
    gold: Iterable[Sentence],
    pred: Iterable[Sentence],
    labels: Iterable[str] | None = REFERENCE_LABELS,
    names: tuple[str, str] = ("gold", "prediction"),
) -> Scores:
    """Score predicted sentences against gold ones (same sentences, same tokens), streaming;
    ``names`` (the files) name the two sides in errors."""
    counter = ScoreCounter(labels)
    for g, p in paired(gold, pred, names):
        counter.add(g.spans or [], p.spans or [])
    return counter.result()


def paired(
    gold: Iterable[Sentence],
    pred: Iterable[Sentence],
    names: tuple[str, str] = ("gold", "prediction"),
) -> Iterator[tuple[Sentence, Sentence]]:
    """Gold and predicted sentences side by side, checked (same count, same tokens); ``names``
    (the files) name the two sides in errors. Unequal counts are reported with both counts,
    also when they first show as a sentence whose words differ (the rest of both is counted
    then, on the error path only)."""
    end = Sentence([])
    gi, pi = iter(gold), iter(pred)
    i = 0
    while True:
        g, p = next(gi, end), next(pi, end)
        if g is end and p is end:
            return
        if g is end or p is end:
            n_gold = i + (g is not end) + sum(1 for _ in gi)
            raise count_mismatch(names, n_gold, i + (p is not end) + sum(1 for _ in pi))
        try:
            check_pair(i, g, p, names)
        except XlnerError:
            n_gold, n_pred = i + 1 + sum(1 for _ in gi), i + 1 + sum(1 for _ in pi)
            if n_gold != n_pred:
                raise count_mismatch(names, n_gold, n_pred) from None
            raise
        yield g, p
        i += 1


def format_table(scores: Scores, digits: int = 4) -> str:
    """A plain-text table like seqeval's classification report, plus proj_ratio."""
    rows: list[tuple[str, ...]] = [("label", "precision", "recall", "f1", "support", "predicted")]
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


# --------------------------------------------------------------------------- confidence

DEFAULT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))


def _score_of(span: Span) -> float:
    return 1.0 if span.score is None else float(span.score)


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    scores: Scores


def threshold_curve(
    gold: Iterable[Sentence],
    pred: Iterable[Sentence],
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    labels: Iterable[str] | None = REFERENCE_LABELS,
    names: tuple[str, str] = ("gold", "prediction"),
) -> list[CurvePoint]:
    """P/R/F1 when only predicted entities scoring at least each threshold are kept
    (one pass over the files; a span without a score counts as 1)."""
    keep = None if labels is None else tuple(labels)
    counters = [ScoreCounter(keep) for _ in thresholds]
    for g, p in paired(gold, pred, names):
        spans = p.spans or []
        for t, c in zip(thresholds, counters):
            c.add(g.spans or [], [s for s in spans if _score_of(s) >= t])
    return [CurvePoint(t, c.result()) for t, c in zip(thresholds, counters)]


def best_threshold(curve: Sequence[CurvePoint]) -> CurvePoint:
    """The point of highest F1 (the lowest threshold among ties)."""
    return max(curve, key=lambda p: (round(p.scores.overall.f1, 12), -p.threshold))


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    predicted: int
    correct: int
    mean_score: float | None  # of the predicted entities in the bin

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    def to_dict(self) -> dict[str, float | int | None]:
        """The bin as JSON: its fields and its precision."""
        return {
            "low": self.low,
            "high": self.high,
            "predicted": self.predicted,
            "correct": self.correct,
            "precision": self.precision,
            "mean_score": self.mean_score,
        }


def reliability(
    gold: Iterable[Sentence],
    pred: Iterable[Sentence],
    bins: int = 10,
    labels: Iterable[str] | None = REFERENCE_LABELS,
    names: tuple[str, str] = ("gold", "prediction"),
) -> tuple[list[ReliabilityBin], float]:
    """Precision of predicted entities per confidence bin (is a 0.9 entity right 90% of the
    time?), and the expected calibration error (bin precision vs mean score, weighted)."""
    keep = None if labels is None else set(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    n_pred = np.zeros(bins, dtype=np.int64)
    n_ok = np.zeros(bins, dtype=np.int64)
    score_sum = np.zeros(bins)
    for g, p in paired(gold, pred, names):
        gold_set = {(s.start, s.end, s.label) for s in g.spans or []}
        for s in p.spans or []:
            if keep is not None and s.label not in keep:
                continue
            x = _score_of(s)
            b = min(int(x * bins), bins - 1)
            n_pred[b] += 1
            score_sum[b] += x
            n_ok[b] += (s.start, s.end, s.label) in gold_set
    out = [
        ReliabilityBin(
            float(edges[b]),
            float(edges[b + 1]),
            int(n_pred[b]),
            int(n_ok[b]),
            float(score_sum[b] / n_pred[b]) if n_pred[b] else None,
        )
        for b in range(bins)
    ]
    total = int(n_pred.sum())
    ece = 0.0
    if total:
        for b in range(bins):
            if n_pred[b]:
                ece += n_pred[b] / total * abs(n_ok[b] / n_pred[b] - score_sum[b] / n_pred[b])
    return out, float(ece)
