"""Back-translation refinement with markers (EasyProject style, Chen et al. 2023).

1. Wrap each source (English) entity in ``[`` ``]`` and translate the marked sentence into the
   target language; translate each entity string alone as well.
2. Give every bracketed segment of the back-translation the label of the entity whose
   translation is most similar (``difflib`` ratio >= ``threshold``, best match; the reference
   code took the last one above the threshold). Segments matching no entity are dropped, and
   entities that lost their markers are reported as lost, not silently.
3. Align the ORIGINAL target sentence with the (marker-free) back-translation — two sentences
   of the same language — and project the segments onto the original tokens with any
   projector.

The pure steps are :func:`mark_entities`, :func:`parse_marked` and :func:`assign_labels`;
:func:`backtranslate_project` runs the whole refinement with Translator/Aligner objects.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlner.data import Alignment, Span
from xlner.text import detokenize, split_words
from xlner.timing import Timer

if TYPE_CHECKING:
    from xlner.align.base import Aligner
    from xlner.project.base import Projector
    from xlner.translate.base import Translator

OPEN, CLOSE = "[", "]"


def mark_entities(words: Sequence[str], spans: Sequence[Span], lang: str = "en") -> str:
    """Detokenised text with every span wrapped in ``[ ]``."""
    starts = {s.start for s in spans}
    ends = {s.end for s in spans}
    out: list[str] = []
    for i, w in enumerate(words):
        if i in ends:
            out.append(CLOSE)
        if i in starts:
            out.append(OPEN)
        out.append(w)
    if len(words) in ends:
        out.append(CLOSE)
    text = detokenize(out, lang)
    return text.replace(f"{OPEN} ", OPEN).replace(f" {CLOSE}", CLOSE)


def parse_marked(text: str, lang: str | None = None) -> tuple[list[str], list[tuple[int, int]]]:
    """Words of a marked translation without the markers, and the half-open word ranges
    inside well-formed ``[ ... ]`` pairs (unbalanced or empty markers are ignored)."""
    words: list[str] = []
    segments: list[tuple[int, int]] = []
    open_at: int | None = None
    for tok in split_words(text, lang):
        if tok == OPEN:
            open_at = len(words)
        elif tok == CLOSE:
            if open_at is not None and len(words) > open_at:
                segments.append((open_at, len(words)))
            open_at = None
        else:
            words.append(tok)
    return words, segments


def assign_labels(
    segment_texts: Sequence[str],
    entity_translations: Sequence[str],
    labels: Sequence[str],
    threshold: float = 0.5,
) -> list[tuple[int, float] | None]:
    """For each segment, ``(entity index, similarity)`` of the most similar entity
    translation with ratio >= ``threshold``, or ``None``."""
    out: list[tuple[int, float] | None] = []
    ents = [e.lower() for e in entity_translations]
    for seg in segment_texts:
        best: tuple[int, float] | None = None
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq2(seg.lower())  # seq2 is the one SequenceMatcher caches
        for idx, ent in enumerate(ents):
            matcher.set_seq1(ent)
            ratio = matcher.ratio()
            if ratio >= threshold and (best is None or ratio > best[1]):
                best = (idx, ratio)
        out.append(best)
    return out


@dataclass
class BacktranslationResult:
    spans: list[list[Span]]  # projected onto the original target tokens
    backtranslations: list[list[str]]  # marker-free back-translated words
    bt_spans: list[list[Span]]  # labelled segments in the back-translation
    lost_entities: int  # source entities whose markers did not survive or match
    alignments: list[Alignment] = field(default_factory=list)  # back-translation -> target


def backtranslate_project(
    src_words: Sequence[Sequence[str]],
    src_spans: Sequence[Sequence[Span]],
    tgt_tokens: Sequence[Sequence[str]],
    translator: Translator,
    aligner: Aligner,
    projector: Projector,
    tgt_lang: str,
    src_lang: str = "en",
    threshold: float = 0.5,
    candidates: Sequence[Sequence[Span]] | None = None,
    timer: Timer | None = None,
) -> BacktranslationResult:
    """Refine projection of ``src_spans`` onto ``tgt_tokens`` through a marked
    back-translation into ``tgt_lang`` (see the module docstring). ``timer`` gets the
    sub-stages ``bt_translate``, ``bt_align`` and ``bt_project``."""
    timer = timer or Timer()
    marked = [mark_entities(w, s, src_lang) for w, s in zip(src_words, src_spans)]
    ent_texts = [
        detokenize(w[s.start : s.end], src_lang) for w, ss in zip(src_words, src_spans) for s in ss
    ]
    with timer.stage("bt_translate"):
        translated = translator.translate(marked + ent_texts, src_lang, tgt_lang)
    bt_marked, ent_trans = translated[: len(marked)], translated[len(marked) :]
    bt_words: list[list[str]] = []
    bt_spans: list[list[Span]] = []
    lost = 0
    offset = 0
    for text, ss in zip(bt_marked, src_spans):
        words, segments = parse_marked(text, tgt_lang)
        trans = ent_trans[offset : offset + len(ss)]
        offset += len(ss)
        seg_texts = [detokenize(words[a:b], tgt_lang) for a, b in segments]
        picks = assign_labels(seg_texts, trans, [s.label for s in ss], threshold)
        spans = []
        for (a, b), pick in zip(segments, picks):
            if pick is not None and not any(a < s.end and s.start < b for s in spans):
                spans.append(Span(a, b, ss[pick[0]].label, pick[1]))
        lost += max(0, len(ss) - len({p[0] for p in picks if p is not None}))
        bt_words.append(words)
        bt_spans.append(sorted(spans))
    with timer.stage("bt_align"):
        alignments = aligner.align(bt_words, [list(t) for t in tgt_tokens])
    cands = candidates if candidates is not None else [None] * len(bt_words)
    with timer.stage("bt_project"):
        projected = [
            projector.project(s, a, len(w), t, c)
            for s, a, w, t, c in zip(bt_spans, alignments, bt_words, tgt_tokens, cands)
        ]
    return BacktranslationResult(projected, bt_words, bt_spans, lost, alignments)
