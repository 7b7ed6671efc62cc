"""The encoder and translation benchmarks in a small mode (tiny models, few sentences): their
results have every system, and the agreement figures mean what they say. Timings are not
asserted."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from xlner.data import Alignment

PAIRS_SRC = [
    ["John", "Smith", "visited", "Berlin", "yesterday", "."],
    ["La", "ONU", "dijo", "que", "las", "conversaciones", "continuarían", "."],
    ["Rais", "wa", "Kenya", "alitembelea", "Nairobi", "jana", "."],
]
PAIRS_TGT = [
    ["John", "Smith", "besuchte", "gestern", "Berlin", "."],
    ["The", "UN", "said", "the", "talks", "would", "continue", "."],
    ["Kenya", "'s", "president", "visited", "Nairobi", "yesterday", "."],
]


def test_link_agreement_counts_kept_and_added_links() -> None:
    from xlner.bench.encoders import link_agreement

    ref = [Alignment.from_pairs([(0, 0), (1, 1), (2, 2), (3, 3)]), Alignment.from_pairs([(0, 0)])]
    pred = [Alignment.from_pairs([(0, 0), (1, 1), (2, 3)]), Alignment.from_pairs([(0, 0)])]
    got = link_agreement(pred, ref)
    assert got == {"kept": 3 / 5, "added": 1 / 4, "identical": 0.5}
    assert link_agreement(ref, ref) == {"kept": 1.0, "added": 0.0, "identical": 1.0}


@pytest.mark.parametrize("arch", ["bert", "xlmr"])
def test_simalign_library_gives_xlner_fp32_links(tiny: dict[str, Path], arch: str) -> None:
    """The peer and xlner's fp32 path align alike on the same encoder and layer."""
    pytest.importorskip("simalign")
    from xlner.align.simalign import SimAlignAligner
    from xlner.bench.encoders import simalign_library

    peer = simalign_library(str(tiny[arch]), 2, "itermax")(PAIRS_SRC, PAIRS_TGT)
    ours = SimAlignAligner(str(tiny[arch]), layer=2, device="cpu", runtime="torch").align(
        PAIRS_SRC, PAIRS_TGT
    )
    assert [a.as_set() for a in peer] == [a.as_set() for a in ours]


needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="needs Apertium")


@pytest.mark.slow
@needs_apertium
def test_bench_aligners_small(tiny: dict[str, Path], data_dir: Path) -> None:
    from xlner.bench.encoders import PEER, TODAY, format_aligners, run_aligners

    peers = ("simalign",) if _has("simalign") else ()
    result = run_aligners(
        str(tiny["bert"]),
        2,
        "itermax",
        ("auto", "torch", "ct2-int8"),
        peers,
        speed_pairs=6,
        agreement_pairs=10,
        repeats=1,
        data_dir=str(data_dir),
    )
    rows = {r["system"]: r for r in result["rows"]}
    assert TODAY in rows and "xlner torch" in rows and (not peers or PEER in rows)
    assert rows["xlner torch"]["agreement_pairs"]["kept"] == 1.0  # fp32: today's links
    for r in rows.values():  # the ratios are each system's speed over today's / the library's
        assert r["pairs_per_s"] > 0
        assert r["x_today"] == pytest.approx(r["pairs_per_s"] / rows[TODAY]["pairs_per_s"])
        if peers:
            assert r["x_peer"] == pytest.approx(r["pairs_per_s"] / rows[PEER]["pairs_per_s"])
    assert result["agreement_pairs"] == 10 and result["gold_pairs"] == 30
    assert "| xlner ct2-int8 |" in format_aligners(result)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_bench_taggers_small(tiny: dict[str, Path], data_dir: Path) -> None:
    from xlner.bench.encoders import TODAY_TAGGER, format_taggers, run_taggers

    result = run_taggers(
        str(tiny["tagger"]),
        ("torch", "ct2"),
        (("conll02-es", "es"), ("masakhaner2", "hau")),
        speed_sentences=8,
        repeats=1,
        data_dir=str(data_dir),
        limit=20,
    )
    rows = {r["system"]: r for r in result["rows"]}
    assert set(rows) == {TODAY_TAGGER, "xlner torch", "xlner ct2"}
    # the same fp32 model on the same words: the same entities
    assert rows["xlner torch"]["f1_delta"] == {"conll02-es/es": 0.0, "masakhaner2/hau": 0.0}
    assert result["speed_sentences"] == 8
    assert "F1 conll02-es/es" in format_taggers(result)


@pytest.mark.slow
def test_bench_memory_small(tiny: dict[str, Path], data_dir: Path) -> None:
    from xlner.bench.encoders import format_memory, peak_rss

    res = peak_rss("tagger", f"hf:{tiny['tagger']}", (10, 40), "ct2", str(data_dir))
    assert [r["sentences"] for r in res["rows"]] == [10, 40]
    assert all(r["peak_rss_mb"] >= r["rss_before_call_mb"] > 0 for r in res["rows"])
    assert np.isfinite(res["ratio"]) and "| tagger" in format_memory([res])


@pytest.mark.slow
def test_bench_translation_small(tiny: dict[str, Path], data_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ctranslate2")
    from xlner.bench.translation import format_translation, run_translation

    model = shutil.copytree(tiny["nllb"], tmp_path / "nllb")
    result = run_translation(
        sentences=6, budgets=(64,), rows_today=2, data_dir=str(data_dir), model_dir=str(model)
    )
    names = [r["system"] for r in result["rows"]]
    assert names == [
        "hf fp32, 2 sentences/batch (today)",
        "hf fp32, 64 tokens/batch",
        "ct2 int8, 2 sentences/batch, default threads (today)",
        "ct2 int8, 64 tokens/batch",
    ]
    assert result["sentences"] == 6 and result["ct2_int8_vs_hf_fp32_same_batches"][64] > 0
    assert "CT2 int8 / HF fp32" in format_translation(result)


def test_bench_batching_compares_cuts_on_the_same_sentences(
    tiny: dict[str, Path], data_dir: Path
) -> None:
    """Each language and size gets the greedy row and one per cost; the cheapest cut pads no
    more than the greedy one; the greedy row is the reference (same entities as itself)."""
    from xlner.bench.batching import format_batching, run_batching

    rows = run_batching(
        str(tiny["tagger"]),
        "panx:eu",
        sizes=[40],
        costs=[None, 64],
        repeats=1,
        runtime="torch",
        data_dir=str(data_dir),
    )
    assert [(r.lang, r.sentences, r.cut) for r in rows] == [
        ("eu", 40, "greedy"),
        ("eu", 40, "cost 64"),
    ]
    greedy, cheap = rows
    assert greedy.x_greedy == 1.0 and greedy.same_entities == 40
    assert cheap.padded <= greedy.padded and greedy.padded > 1.0
    assert 0 <= cheap.same_entities <= 40
    assert "| eu | 40 | cost 64 |" in format_batching(rows)
