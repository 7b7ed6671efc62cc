"""Nothing is done twice in one ``xlner run``: every backend built once, every input parsed
once, every translation looked up in the cache once, every corpus links index loaded once per
language and aligner step, every backend's signature computed once, results.md never read
back. Counted on a small run of fake backends (two languages, chunks of three sentences), with
a corpus-level aligner (two passes) and with a per-sentence one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from xlner_fakes import CapsTagger, DiagonalAligner, EchoTranslator

from xlner.data import Alignment, Sentence, Span
from xlner.io import write_conll


def _sentences(n: int, first: int) -> list[Sentence]:
    """``n`` sentences, each with its own names: no text, sentence or entity, is repeated."""
    return [
        Sentence(
            [f"Bola{i}", f"Tinubu{i}", "ya", "ziyarci", f"Abuja{i}", "."],
            [Span(0, 2, "PER"), Span(4, 5, "LOC")],
        )
        for i in range(first, first + n)
    ]


LANGS = {"hau": _sentences(8, 0), "pcm": _sentences(6, 100)}
METHODS = ["model-transfer", "heuristic", "ngram", "ner+bt"]

COUNTS: Counter[str] = Counter()


class _Signed:
    """Counts its constructions and every computation of its signature."""

    _signature = ""

    def _count_init(self) -> None:
        COUNTS[f"construct {type(self).__name__}"] += 1

    @property
    def signature(self) -> str:
        COUNTS[f"signature {type(self).__name__}"] += 1
        return self._signature

    @signature.setter
    def signature(self, value: str) -> None:
        self._signature = value


class Translator(_Signed, EchoTranslator):
    def __init__(self, model: str | None = None) -> None:
        self._count_init()
        self.signature = "echo"

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        COUNTS.update(f"translate {src_lang}>{tgt_lang} {t}" for t in texts)
        return list(texts)


class Tagger(_Signed, CapsTagger):
    def __init__(self, model: str | None = None, batch_size: int = 1) -> None:
        self._count_init()
        super().__init__(model, batch_size)


class Aligner(_Signed, DiagonalAligner):
    def __init__(self, model: str | None = None) -> None:
        self._count_init()
        super().__init__(model)


class CorpusAligner(Aligner):
    """The diagonal links, aligned from files as a corpus-level aligner (eflomal) is."""

    corpus_level = True

    def align_files(self, src: Path, tgt: Path, out: Path) -> None:
        COUNTS[f"align corpus {src}"] += 1
        lines = zip(src.read_text().splitlines(), tgt.read_text().splitlines(), strict=True)
        with out.open("w") as fh:
            for s, t in lines:
                links = self.align([s.split()], [t.split()])[0]
                fh.write(" ".join(f"{i}-{j}" for i, j in links.pairs.tolist()) + "\n")

    def align(self, src: Any, tgt: Any) -> list[Alignment]:
        return DiagonalAligner.align(self, src, tgt)


@pytest.fixture()
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """The fake backends registered, and every parse, cache lookup, links index load and read
    of results.md counted."""
    import xlner.runner
    from xlner.align import ALIGNERS
    from xlner.align.corpus import LinksFile
    from xlner.tag import TAGGERS
    from xlner.translate import TRANSLATORS
    from xlner.translate.cache import TranslationCache

    for registry, name, cls in (
        (TRANSLATORS, "count-echo", Translator),
        (TAGGERS, "count-caps", Tagger),
        (ALIGNERS, "count-diag", Aligner),
        (ALIGNERS, "count-corpus", CorpusAligner),
    ):
        monkeypatch.setitem(registry._entries, name, cls)

    reader = xlner.runner.dataset_reader

    def counting_reader(name: str, lang: str, *args: Any, **kwargs: Any) -> Any:
        read = reader(name, lang, *args, **kwargs)

        def parse() -> Iterator[Sentence]:
            COUNTS[f"parse {lang}"] += 1
            return read()

        return parse

    monkeypatch.setattr(xlner.runner, "dataset_reader", counting_reader)

    get_many = TranslationCache.get_many

    def counting_get_many(self: TranslationCache, keys: Sequence[str]) -> dict[str, str]:
        COUNTS.update(f"lookup {k}" for k in keys)
        return get_many(self, keys)

    monkeypatch.setattr(TranslationCache, "get_many", counting_get_many)

    links_init = LinksFile.__init__

    def counting_links(self: LinksFile, path: str | Path) -> None:
        COUNTS[f"links index {path}"] += 1
        links_init(self, path)

    monkeypatch.setattr(LinksFile, "__init__", counting_links)

    read_text = Path.read_text

    def counting_read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "results.md":
            COUNTS["read results.md"] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read_text)

    root = tmp_path / "data"
    for lang, sents in LANGS.items():
        write_conll(sents, root / "masakhaner2" / lang / "test.txt")
    COUNTS.clear()
    yield COUNTS
    COUNTS.clear()


def _run(tmp_path: Path, aligner: str) -> None:
    from xlner.runner import RunConfig, run_experiment
    from xlner.stages import StageConfig

    stages = StageConfig(
        translator="count-echo",
        tagger="count-caps",
        aligner=aligner,
        translation_cache=tmp_path / "tr.sqlite",
    )
    cfg = RunConfig(
        "masakhaner2",
        list(LANGS),
        METHODS,
        tmp_path / "run",
        stages,
        data_dir=str(tmp_path / "data"),
        chunk_size=3,
        show_progress=True,  # the bar's totals are counted, not parsed
    )
    report = run_experiment(cfg)
    assert [u.status for u in report.units] == ["done"] * len(LANGS) * len(METHODS)
    assert report.markdown


def twice(counts: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in sorted(counts.items()) if v > 1}


@pytest.mark.parametrize("aligner", ["count-corpus", "count-diag"])
def test_nothing_is_done_twice_in_a_run(
    counted: Counter[str], tmp_path: Path, aligner: str
) -> None:
    _run(tmp_path, aligner)
    corpus = aligner == "count-corpus"
    name = "CorpusAligner" if corpus else "Aligner"
    for cls in ("Translator", "Tagger", name):
        assert counted[f"construct {cls}"] == 1, cls
        assert counted[f"signature {cls}"] == 1, cls
    assert counted["parse hau"] == counted["parse pcm"] == 1
    assert any(k.startswith("lookup ") for k in counted)
    # a links index per corpus aligned: per language and aligner step (align for heuristic
    # and ngram, bt_align for ner+bt), one when both corpora are the same (an echo translator)
    links = [k for k in counted if k.startswith("links index ")]
    assert (len(LANGS) <= len(links) <= 2 * len(LANGS)) if corpus else not links
    assert len([k for k in counted if k.startswith("align corpus ")]) == len(links)
    assert counted["read results.md"] == 0
    assert twice(counted) == {}


def test_spacy_signature_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """spaCy's signature looks up installed distributions: once per tagger, not per batch."""
    import importlib.metadata

    from xlner.tag.spacy import SpacyTagger

    scans = Counter[str]()
    scan = importlib.metadata.packages_distributions

    def counting() -> Any:
        scans["scan"] += 1
        return scan()

    monkeypatch.setattr(importlib.metadata, "packages_distributions", counting)
    tagger = SpacyTagger("no_such_spacy_model")
    first = tagger.signature
    assert [tagger.signature for _ in range(3)] == [first] * 3
    assert scans["scan"] <= 2  # the model's version, spaCy's: looked up once each


def test_pass_two_batches_keep_text_and_offsets() -> None:
    """Pass 2 goes on from pass 1's batches, kept as JSON: a sentence read from plain text
    keeps its text and character offsets (the output of ``xlner tag`` carries them)."""
    from xlner.batch import Batch

    s = Sentence(
        ["Bola", "Tinubu"], None, "hau", "0", text="Bola  Tinubu", offsets=[(0, 4), (6, 12)]
    )
    back = Batch.from_json(Batch("hau", 0, [s]).to_json()).sentences[0]
    assert (back.text, back.offsets) == (s.text, s.offsets)
