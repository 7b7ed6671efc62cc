"""Alignment quality sweep on the hand-aligned gold set (``xlner bench alignment``):
precision / recall / AER per encoder layer and extraction method."""

from __future__ import annotations

from collections.abc import Sequence

from xlner.align.awesome import AwesomeAligner
from xlner.align.encoder import SubwordEncoder
from xlner.align.evaluate import alignment_scores, load_gold_alignments
from xlner.align.simalign import SimAlignAligner

METHODS = ("argmax", "itermax", "match", "awesome")


def sweep(
    model: str,
    layers: Sequence[int],
    methods: Sequence[str] = METHODS,
    langs: Sequence[str] | None = None,
    device: str = "cpu",
) -> list[dict]:
    gold = load_gold_alignments(langs)
    src, tgt, ref = [g.src for g in gold], [g.tgt for g in gold], [g.links for g in gold]
    rows = []
    for layer in layers:
        enc = SubwordEncoder(model, layer, device=device)
        emb_src, emb_tgt = enc.embed(src), enc.embed(tgt)  # once per layer, shared by methods
        for method in methods:
            aligner = (
                AwesomeAligner(encoder=enc)
                if method == "awesome"
                else SimAlignAligner(encoder=enc, method=method)
            )
            pred = [aligner.align_embedded(s, t) for s, t in zip(emb_src, emb_tgt)]
            rows.append(
                {
                    "model": model,
                    "layer": layer,
                    "method": method,
                    "pairs": len(gold),
                    **alignment_scores(pred, ref),
                }
            )
    return rows


def format_markdown(rows: list[dict]) -> str:
    lines = ["| layer | method | precision | recall | AER |", "|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['layer']} | {r['method']} | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['aer']:.3f} |"
        )
    return "\n".join(lines)
