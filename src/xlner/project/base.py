"""The Projector protocol and its registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from xlner.data import Alignment, Span
from xlner.registry import Registry


@runtime_checkable
class Projector(Protocol):
    """Maps source entities onto target words through a word alignment.

    ``alignment`` links ``(source_word, target_word)``. ``candidates`` are target spans from an
    NER model; only projectors with ``needs_candidates`` use them. Returned spans never overlap
    and carry a ``score`` (the Dice score of the entity/span pair).
    """

    needs_candidates: bool

    def project(
        self,
        src_spans: Sequence[Span],
        alignment: Alignment,
        src_len: int,
        tgt_tokens: Sequence[str],
        candidates: Sequence[Span] | None = None,
    ) -> list[Span]: ...


PROJECTORS: Registry[Projector] = Registry("projector")
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


def project_batch(
    projector: Projector,
    src_spans: Sequence[Sequence[Span]],
    alignments: Sequence[Alignment],
    src_lens: Sequence[int],
    tgt_tokens: Sequence[Sequence[str]],
    candidates: Sequence[Sequence[Span]] | None = None,
) -> list[list[Span]]:
    """Project a batch of sentence pairs."""
    cands = candidates if candidates is not None else [None] * len(src_spans)
    return [
        projector.project(s, a, n, t, c)
        for s, a, n, t, c in zip(src_spans, alignments, src_lens, tgt_tokens, cands)
    ]
