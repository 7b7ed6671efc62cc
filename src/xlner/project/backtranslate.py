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
:func:`backtranslate` (steps 1-2, with a Translator) and :func:`project_backtranslation` (step 3)
are the two halves the pipeline calls around the alignment of step 3.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xlner.batch import Backtranslation
from xlner.data import Alignment, Span
from xlner.languages import PIVOT
from xlner.project.base import Projection, Projector, project_batch, unmatched
from xlner.text import detokenize, split_words

if TYPE_CHECKING:
    from xlner.translate.base import Translator

OPEN, CLOSE = "[", "]"


def mark_entities(words: Sequence[str], spans: Sequence[Span], lang: str = PIVOT) -> str:
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


def backtranslate(
    src_words: Sequence[Sequence[str]],
    src_spans: Sequence[Sequence[Span]],
    translator: Translator,
    tgt_lang: str,
    src_lang: str = PIVOT,
    threshold: float = 0.5,
) -> Backtranslation:
    """Steps 1-2 of the module docstring: translate the marked sentences and each entity
    alone, and label the bracketed segments. A segment's score is its similarity to the
    entity's translation times the entity's own confidence."""
    marked = [mark_entities(w, s, src_lang) for w, s in zip(src_words, src_spans)]
    ent_texts = [
        detokenize(w[s.start : s.end], src_lang) for w, ss in zip(src_words, src_spans) for s in ss
    ]
    translated = translator.translate(marked + ent_texts, src_lang, tgt_lang)
    bt_marked, ent_trans = translated[: len(marked)], translated[len(marked) :]
    out = Backtranslation([], [], [], [])
    offset = 0
    for text, ss in zip(bt_marked, src_spans):
        words, segments = parse_marked(text, tgt_lang)
        trans = ent_trans[offset : offset + len(ss)]
        offset += len(ss)
        seg_texts = [detokenize(words[a:b], tgt_lang) for a, b in segments]
        picks = assign_labels(seg_texts, trans, [s.label for s in ss], threshold)
        spans: list[Span] = []
        sources: list[int] = []
        for (a, b), pick in zip(segments, picks):
            if pick is None or any(a < s.end and s.start < b for s in spans):
                continue
            conf = 1.0 if ss[pick[0]].score is None else float(ss[pick[0]].score or 0.0)
            spans.append(Span(a, b, ss[pick[0]].label, pick[1] * conf))
            sources.append(pick[0])
        order = sorted(range(len(spans)), key=lambda i: spans[i])
        out.words.append(words)
        out.spans.append([spans[i] for i in order])
        out.sources.append([sources[i] for i in order])
        out.lost.append(unmatched(len(ss), sources, "marker_lost"))
    return out


def project_backtranslation(
    projector: Projector,
    bt: Backtranslation,
    tgt_tokens: Sequence[Sequence[str]],
    alignments: Sequence[Alignment],
    candidates: Sequence[Sequence[Span]] | None = None,
    min_score: float = 0.0,
) -> list[Projection]:
    """Step 3: project the labelled segments onto the original target tokens through the
    alignment of back-translation and target. Spans and lost entities are reported against
    the ORIGINAL source entities (a segment stands for the entity it was matched to)."""
    projected = project_batch(
        projector,
        bt.spans,
        alignments,
        [len(w) for w in bt.words],
        tgt_tokens,
        candidates,
        min_score,
    )
    out = []
    for proj, sources, lost in zip(projected, bt.sources, bt.lost):
        kept = [sources[i] for i in proj.sources]
        merged = dict(lost)
        for seg, why in proj.lost.items():
            if sources[seg] not in kept:  # an entity with another, projected segment is not lost
                merged.setdefault(sources[seg], why)
        out.append(Projection(proj.spans, kept, merged))
    return out
