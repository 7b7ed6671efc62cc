"""The calibration sets that judge an encoder runtime against PyTorch fp32 (``--runtime auto``,
:mod:`xlner.models.autoruntime`), and the checks a runtime must pass.

- **Shipped**: the 30 hand-aligned English–Spanish/Swahili/German pairs of
  ``resources/align_gold.tsv`` (gold links) with their English entities written by hand
  (``resources/calibration_spans.tsv``). Always there, so every machine can judge.
- **Europarl-NER** (when the data folder holds it, ``$XLNER_DATA`` or ``../shared/data``): the
  first sentences of every target language present, with the English side's gold entities —
  real parallel sentences, as the issue of record asks; never copied into the package.
- **CoNLL-03 English dev** (when present): the tagger's slice.

Checks (what users see, not raw numbers): an aligner runtime keeps the gold AER within
:data:`MAX_AER_LOSS` of fp32's and projects the same entities as fp32 on at least
:data:`MIN_SAME_PROJECTIONS` of the sentences that have entities; a tagger runtime keeps entity F1
within :data:`MAX_F1_LOSS` of fp32's. The share of fp32's links kept is reported, not required.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from xlner.data import Alignment, Span
from xlner.models.runtime import Runtime

#: Gold AER may rise at most this much over fp32's.
MAX_AER_LOSS = 0.005
#: Projected entities identical to fp32's on at least this share of sentences with entities.
MIN_SAME_PROJECTIONS = 0.99
#: Entity F1 (0..1) may fall at most this much under fp32's (0.3 points).
MAX_F1_LOSS = 0.003
#: Sentences read per language from a dataset found in the data folder.
PER_LANGUAGE = 100


@dataclass(frozen=True)
class CalPair:
    lang: str
    src: list[str]  # English
    tgt: list[str]
    spans: list[Span]  # the English side's gold entities
    links: Alignment | None = None  # gold links (the hand-aligned pairs only)


def _parse_spans(text: str) -> list[Span]:
    if text.strip() == "-":
        return []
    out = []
    for item in text.split():
        start, end, label = item.split("-", 2)
        out.append(Span(int(start), int(end), label))
    return out


def shipped_pairs() -> list[CalPair]:
    """The hand-aligned pairs with their English entities (both files shipped with xlner)."""
    from xlner.align.evaluate import load_gold_alignments

    text = resources.files("xlner.resources").joinpath("calibration_spans.tsv").read_text("utf-8")
    spans = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            lang, english, items = line.split("\t")
            spans[(lang, english)] = _parse_spans(items)
    pairs = []
    for g in load_gold_alignments():
        key = (g.lang, " ".join(g.src))
        pairs.append(CalPair(g.lang, g.src, g.tgt, spans[key], g.links))
    return pairs


def europarl_pairs(data_dir: Path | None, per_language: int = PER_LANGUAGE) -> list[CalPair]:
    """The first ``per_language`` parallel sentences of every Europarl-NER target language in
    ``data_dir`` (none when it is absent)."""
    from xlner.datasets import get_dataset, parallel_reader

    if data_dir is None:
        return []
    spec = get_dataset("europarl")
    pairs = []
    for lang in spec.present_languages(data_dir):
        if lang == "en":
            continue
        split = "test" if (data_dir / "europarl" / lang / "test.txt").is_file() else None
        if split is None:
            continue
        reader = parallel_reader("europarl", lang, split, data_dir)
        for s in itertools.islice(reader(), per_language):
            if s.parallel is not None and s.tokens and s.parallel.tokens:
                pairs.append(CalPair(lang, s.parallel.tokens, s.tokens, s.parallel.spans or []))
    return pairs


def english_slice(
    data_dir: Path | None, n: int = 2 * PER_LANGUAGE
) -> list[tuple[list[str], list[Span]]]:
    """The first ``n`` sentences of CoNLL-03 English dev when present (the tagger's slice)."""
    from xlner.datasets import dataset_reader

    if data_dir is None or not (data_dir / "conll03-en" / "dev.txt").is_file():
        return []
    reader = dataset_reader("conll03-en", "en", "dev", data_dir)
    return [(s.tokens, s.spans or []) for s in itertools.islice(reader(), n) if s.tokens]


def signature(parts: Sequence[tuple[str, int]]) -> str:
    """What a calibration set holds, e.g. ``shipped:30+europarl:200`` plus a short hash."""
    return "+".join(f"{name}:{n}" for name, n in parts if n)


def content_hash(rows: Sequence[Sequence[str]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(" ".join(row).encode("utf-8") + b"\n")
    return h.hexdigest()[:10]


# ----------------------------------------------------------------------------- checks


def projections(pairs: Sequence[CalPair], links: Sequence[Alignment]) -> list[list[Span]]:
    """Each pair's English entities projected onto its target by the heuristic (defaults)."""
    from xlner.project.heuristic import HeuristicProjector

    proj = HeuristicProjector()
    return [
        proj.project(p.spans, a, len(p.src), p.tgt).spans if p.spans else []
        for p, a in zip(pairs, links)
    ]


def align_quality(
    pairs: Sequence[CalPair], links: Sequence[Alignment], ref: Sequence[Alignment]
) -> dict[str, float]:
    """Gold AER of ``links`` and of fp32's ``ref``, the share of sentences with entities whose
    projection equals fp32's, and the share of fp32's links kept."""
    from xlner.align.evaluate import alignment_scores

    gold = [(p.links, a, r) for p, a, r in zip(pairs, links, ref) if p.links is not None]
    aer = alignment_scores([a for _, a, _ in gold], [g for g, _, _ in gold])["aer"]
    aer_ref = alignment_scores([r for _, _, r in gold], [g for g, _, _ in gold])["aer"]
    ours, theirs = projections(pairs, links), projections(pairs, ref)
    with_entities = [i for i, p in enumerate(pairs) if p.spans]
    same = sum(sorted(ours[i]) == sorted(theirs[i]) for i in with_entities)
    kept = sum(len(a.as_set() & r.as_set()) for a, r in zip(links, ref))
    total = sum(len(r.as_set()) for r in ref)
    return {
        "aer": round(aer, 4),
        "aer_fp32": round(aer_ref, 4),
        "same_projections": round(same / len(with_entities), 4) if with_entities else 1.0,
        "links_kept": round(kept / total, 4) if total else 1.0,
    }


def align_verdict(q: dict[str, float]) -> tuple[bool, str]:
    if q["aer"] - q["aer_fp32"] > MAX_AER_LOSS + 1e-9:
        return False, f"gold AER {q['aer']:.4f} vs fp32 {q['aer_fp32']:.4f}"
    if q["same_projections"] < MIN_SAME_PROJECTIONS:
        return False, f"same projections as fp32 on {100 * q['same_projections']:.1f}% of sentences"
    return True, "passes"


def tag_quality(
    gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], ref: Sequence[Sequence[Span]]
) -> dict[str, float]:
    """Entity F1 (PER/ORG/LOC) of ``pred`` and of fp32's ``ref``, and the share of sentences
    tagged exactly as fp32 tags them."""
    from xlner.evaluate import score_spans

    f1 = score_spans(gold, pred).overall.f1
    f1_ref = score_spans(gold, ref).overall.f1
    same = sum(sorted(p) == sorted(r) for p, r in zip(pred, ref))
    return {
        "f1": round(f1, 4),
        "f1_fp32": round(f1_ref, 4),
        "same_tags": round(same / len(ref), 4) if ref else 1.0,
    }


def tag_verdict(q: dict[str, float]) -> tuple[bool, str]:
    if q["f1_fp32"] - q["f1"] > MAX_F1_LOSS + 1e-9:
        return False, f"entity F1 {100 * q['f1']:.1f} vs fp32 {100 * q['f1_fp32']:.1f}"
    return True, "passes"


# ----------------------------------------------------------------------------- the two jobs


Job = tuple[
    str, Callable[[Runtime], Callable[[], Any]], Callable[[Any, Any], tuple[bool, str, dict]]
]


def aligner_job(model: str, layer: int, device: str, data_dir: Path | None) -> Job:
    from xlner.align.simalign import SimAlignAligner

    shipped, europarl = shipped_pairs(), europarl_pairs(data_dir)
    pairs = shipped + europarl
    rows = [[*p.src, "|||", *p.tgt] for p in pairs]
    calibration = signature([("shipped", len(shipped)), ("europarl", len(europarl))])
    calibration += f"#{content_hash(rows)}"

    def prepare(rt: Runtime) -> Callable[[], Any]:
        aligner = SimAlignAligner(model, layer=layer, device=device, runtime=rt.name)
        src, tgt = [p.src for p in pairs], [p.tgt for p in pairs]
        aligner.encoder.embed([src[0]])  # load now: loading is not timed
        return lambda: aligner.align(src, tgt)

    def judge(out: Any, ref: Any) -> tuple[bool, str, dict]:
        quality = align_quality(pairs, out, ref)
        return (*align_verdict(quality), quality)

    return calibration, prepare, judge


def _tagger_sentences(data_dir: Path | None) -> list[tuple[list[str], list[Any]]]:
    """English sentences with their gold entities, the targets with the entities projected
    through the gold links, and CoNLL-03 English dev's first sentences when present."""

    shipped = shipped_pairs()
    targets = projections(shipped, [p.links for p in shipped if p.links is not None])
    out = [(p.src, p.spans) for p in shipped]
    out += [(p.tgt, spans) for p, spans in zip(shipped, targets)]
    return out + english_slice(data_dir)


def tagger_job(model: str, device: str, data_dir: Path | None) -> Job:
    from xlner.tag.hf import HFTagger

    sentences = _tagger_sentences(data_dir)
    words, gold = [s for s, _ in sentences], [g for _, g in sentences]
    n_shipped = 2 * len(shipped_pairs())
    calibration = signature([("shipped", n_shipped), ("conll03-en", len(words) - n_shipped)])
    calibration += f"#{content_hash(words)}"

    def prepare(rt: Runtime) -> Callable[[], Any]:
        tagger = HFTagger(model, device=device, runtime=rt.name)
        tagger.tag([words[0]])
        return lambda: tagger.tag(words)

    def judge(out: Any, ref: Any) -> tuple[bool, str, dict]:
        quality = tag_quality(gold, out, ref)
        return (*tag_verdict(quality), quality)

    return calibration, prepare, judge
