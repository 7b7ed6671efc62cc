"""The Projector protocol, what a projection returns, and its registry.

A projector maps source entities onto target words through a word alignment and says, for
every source entity that produced no target span, **why** (:data:`LostReason`).

Confidence of a projected entity (:func:`with_confidence`): the projector's alignment evidence
(the Dice score of the source entity and the target span, in [0, 1]) times the source tagger's
confidence in the entity (its span score; 1 when the tagger gives none, e.g. gold labels in
translate-train). Both factors are in [0, 1], so the product is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args, runtime_checkable

from xlner.data import Alignment, Span
from xlner.registry import Registry

LostReason = Literal[
    "no_link",  # no word of the entity is aligned to any target word
    "no_candidate",  # (ner) no NER candidate span shares a link with the entity
    "ratio_filter",  # (heuristic) every aligned run was shorter than the length-ratio filter
    "conflict",  # its target span was taken by another entity (overlap / matching)
    "below_threshold",  # its best projection scored below the confidence threshold
    "marker_lost",  # (back-translation) its markers did not survive translation or matching
    "too_long",  # its sentence was longer than the aligner aligns (eflomal: 1,023 words)
]
LOST_REASONS: tuple[str, ...] = get_args(LostReason)


@dataclass
class Projection:
    """Target spans (sorted, disjoint, scored), the source entity of each, and the lost ones."""

    spans: list[Span] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # source entity index of each span
    lost: dict[int, LostReason] = field(default_factory=dict)  # entity index -> reason

    def __post_init__(self) -> None:
        order = sorted(range(len(self.spans)), key=lambda i: self.spans[i])
        self.spans = [self.spans[i] for i in order]
        self.sources = [self.sources[i] for i in order]


@runtime_checkable
class Projector(Protocol):
    """Maps source entities onto target words through a word alignment.

    ``alignment`` links ``(source_word, target_word)``. ``candidates`` are target spans from an
    NER model; only projectors with ``needs_candidates`` use them. Every source entity either
    yields at least one span or appears in :attr:`Projection.lost` with its reason.
    """

    needs_candidates: bool

    def project(
        self,
        src_spans: Sequence[Span],
        alignment: Alignment,
        src_len: int,
        tgt_tokens: Sequence[str],
        candidates: Sequence[Span] | None = None,
    ) -> Projection: ...


PROJECTORS: Registry[Projector] = Registry("projector", "xlner.projectors")
PROJECTORS.register(
    "heuristic",
    "xlner.project.heuristic:make_heuristic",
    help="contiguous aligned runs, gap merge, length-ratio filter (NAME:original for the "
    "García-Ferrero variant)",
)
PROJECTORS.register(
    "ngram",
    "xlner.project.candidates:make_ngram",
    help="all n-gram candidates + matching (ngram:greedy or ngram:exact)",
)
PROJECTORS.register(
    "ner",
    "xlner.project.candidates:make_ner",
    help="NER-model span candidates + matching (ner:greedy or ner:exact)",
)


def unmatched(n_sources: int, sources: Sequence[int], why: LostReason) -> dict[int, LostReason]:
    """``why`` for every source entity index in ``range(n_sources)`` not in ``sources``."""
    have = set(sources)
    return {i: why for i in range(n_sources) if i not in have}


def with_confidence(
    proj: Projection, src_spans: Sequence[Span], min_score: float = 0.0
) -> Projection:
    """Scores become alignment evidence x source confidence (see the module docstring); spans
    below ``min_score`` are dropped, and an entity left without any span is lost with
    ``below_threshold``."""
    spans, sources = [], []
    for span, src in zip(proj.spans, proj.sources):
        evidence = 1.0 if span.score is None else span.score
        given = src_spans[src].score
        conf = 1.0 if given is None else given
        score = min(1.0, max(0.0, evidence * conf))
        if score >= min_score:
            spans.append(Span(span.start, span.end, span.label, score))
            sources.append(src)
    lost = dict(proj.lost)
    dropped = {s for s in proj.sources if s not in set(sources)}
    lost.update({s: "below_threshold" for s in dropped})
    return Projection(spans, sources, lost)


def project_batch(
    projector: Projector,
    src_spans: Sequence[Sequence[Span]],
    alignments: Sequence[Alignment],
    src_lens: Sequence[int],
    tgt_tokens: Sequence[Sequence[str]],
    candidates: Sequence[Sequence[Span]] | None = None,
    min_score: float = 0.0,
) -> list[Projection]:
    """Project a batch of sentence pairs, with confidences (:func:`with_confidence`)."""
    cands = candidates if candidates is not None else [None] * len(src_spans)
    return [
        with_confidence(projector.project(s, a, n, t, c), s, min_score)
        for s, a, n, t, c in zip(src_spans, alignments, src_lens, tgt_tokens, cands)
    ]
