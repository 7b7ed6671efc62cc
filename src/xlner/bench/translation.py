"""Translation throughput side by side (``xlner bench translation``): HF fp32 and CTranslate2
int8 on the same sentences, with today's batches (a fixed number of sentences; CTranslate2 on
its default threads) and with token-budget batches (length-sorted, capped by padded source
tokens; CTranslate2 on every core this process may use).

``--arch-only`` (the default) builds the reference translator architecture with random weights
(:func:`xlner.models.tiny.build_arch`, cached under ``$XLNER_CACHE/arch`` and shared with
``xlner bench pipeline --arch-only``) and forces every output to the length of its batch's
longest source (``output_ratio=1.0``), as a model generating until its longest sentence ends
would: the figures measure cost only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.datasets import load_dataset
from xlner.errors import XlnerError
from xlner.languages import PIVOT
from xlner.text import detokenize

UNBOUNDED = 10**9


def arch_translator(arch: str, texts: Sequence[str], data_dir: str | None, seed: int = 0) -> Path:
    """The random-weight reference translator (and its CTranslate2 int8 copy), built once."""
    from xlner.models.loading import cache_dir
    from xlner.models.tiny import build_arch
    from xlner.translate.ct2 import convert

    path = cache_dir() / "arch" / arch
    if not (path / "config.json").is_file():
        corpus = list(texts)
        with contextlib.suppress(XlnerError):  # English text helps the tokenizer; optional
            english = load_dataset("conll03-en", None, "dev", data_dir)[:3000]
            corpus += [detokenize(s.tokens) for s in english]
        build_arch(path, arch, corpus, vocab_size=16000, seed=seed)
    ct2_dir = Path(str(path) + "-ct2-int8")
    if not (ct2_dir / "model.bin").is_file():
        convert(path, ct2_dir, quantization="int8")
    return path


def run_translation(
    arch: str = "nllb-200-distilled-600M",
    sentences: int = 200,
    dataset: str = "masakhaner2",
    lang: str = "hau",
    budgets: Sequence[int] = (2048,),
    rows_today: int = 32,
    hf: bool = True,
    repeats: int = 1,
    data_dir: str | None = None,
    model_dir: str | None = None,
) -> dict[str, Any]:
    """Sentences/s of each translator and batching on the same ``sentences``; ``model_dir``:
    an existing HF seq2seq folder instead of the random-weight ``arch``."""
    from xlner.translate.ct2 import CT2Translator, convert
    from xlner.translate.hf import HFTranslator

    sents = [s for s in load_dataset(dataset, lang, "test", data_dir) if s.tokens][:sentences]
    texts = [detokenize(s.tokens, lang) for s in sents]
    model = Path(model_dir) if model_dir else arch_translator(arch, texts, data_dir)
    ct2_dir = str(model) + "-ct2-int8"
    if not Path(ct2_dir, "model.bin").is_file():
        convert(model, ct2_dir, quantization="int8")
    systems: dict[str, Any] = {}
    if hf:
        systems[f"hf fp32, {rows_today} sentences/batch (today)"] = HFTranslator(
            str(model), device="cpu", batch_size=rows_today, max_tokens=UNBOUNDED, output_ratio=1.0
        )
        for b in budgets:
            systems[f"hf fp32, {b} tokens/batch"] = HFTranslator(
                str(model), device="cpu", max_tokens=b, output_ratio=1.0
            )
    systems[f"ct2 int8, {rows_today} sentences/batch, default threads (today)"] = CT2Translator(
        ct2_dir,
        device="cpu",
        compute_type="int8",
        batch_size=rows_today,
        max_tokens=UNBOUNDED,
        intra_threads=0,
        output_ratio=1.0,
    )
    for b in budgets:
        systems[f"ct2 int8, {b} tokens/batch"] = CT2Translator(
            ct2_dir, device="cpu", compute_type="int8", max_tokens=b, output_ratio=1.0
        )
    for tr in systems.values():
        tr.translate(texts[:2], lang, PIVOT)  # load
    best = dict.fromkeys(systems, float("inf"))
    for _ in range(repeats):
        for name, tr in systems.items():
            start = time.perf_counter()
            tr.translate(texts, lang, PIVOT)
            best[name] = min(best[name], time.perf_counter() - start)
    rows: list[dict[str, Any]] = [
        {"system": name, "seconds": best[name], "sentences_per_s": len(texts) / best[name]}
        for name in systems
    ]
    result: dict[str, Any] = {
        "arch": model_dir or arch,
        "dataset": f"{dataset}/{lang}",
        "sentences": len(texts),
        "repeats": repeats,
        "rows": rows,
    }
    by: dict[str, float] = {r["system"]: r["sentences_per_s"] for r in rows}
    if hf:
        result["ct2_int8_vs_hf_fp32_same_batches"] = {
            b: by[f"ct2 int8, {b} tokens/batch"] / by[f"hf fp32, {b} tokens/batch"] for b in budgets
        }
        today_hf = by[f"hf fp32, {rows_today} sentences/batch (today)"]
        result["best_ct2_int8_vs_today_hf_fp32"] = (
            max(by[f"ct2 int8, {b} tokens/batch"] for b in budgets) / today_hf
        )
    return result


def format_translation(result: dict[str, Any]) -> str:
    lines = ["| system | sent./s | seconds |", "|---|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['system']} | {r['sentences_per_s']:.2f} | {r['seconds']:.1f} |")
    for b, x in result.get("ct2_int8_vs_hf_fp32_same_batches", {}).items():
        lines.append(f"\nCT2 int8 / HF fp32, same {b}-token batches: **{x:.2f}×**")
    if "best_ct2_int8_vs_today_hf_fp32" in result:
        x = result["best_ct2_int8_vs_today_hf_fp32"]
        lines.append(f"\nbest CT2 int8 / today's HF fp32: **{x:.2f}×**")
    return "\n".join(lines)
