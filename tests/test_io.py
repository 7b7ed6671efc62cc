from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlner.cli import main
from xlner.data import Sentence, Span
from xlner.errors import DataFormatError
from xlner.io import read_conll, read_jsonl, read_sentences, read_text, write_conll, write_jsonl


def test_read_masakhaner_style(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffHukumar B-ORG\r\nwasan I-ORG\r\n\r\nKano B-LOC\r\n".encode())
    sents = read_conll(p, lang="hau")
    assert [s.tokens for s in sents] == [["Hukumar", "wasan"], ["Kano"]]
    assert sents[0].spans == [Span(0, 2, "ORG")] and sents[1].spans == [Span(0, 1, "LOC")]
    assert sents[0].lang == "hau"


def test_read_conll03_four_columns_and_docstart(tmp_path: Path) -> None:
    p = tmp_path / "b.txt"
    p.write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n")
    (s,) = read_conll(p)
    assert s.tokens == ["EU", "rejects"] and s.spans == [Span(0, 1, "ORG")]


def test_read_panx_style(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_text("de:Berlin\tB-LOC\nde:ist\tO\n\nde:Anna\tB-PER\n")
    sents = read_conll(p)
    assert sents[0].tokens == ["Berlin", "ist"] and sents[0].lang == "de"
    assert sents[1].spans == [Span(0, 1, "PER")]


def test_bad_lines_name_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_text("a O\nb\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:2: expected 'token TAG'"):
        read_conll(p)
    p.write_text("a O\n\nb X-PER\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:3: unknown tag 'X-PER'"):
        read_conll(p)
    p.write_bytes(b"a O\n\xff\xfe B-PER\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:2: not valid UTF-8"):
        read_conll(p)


def test_jsonl_errors(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(
        '{"tokens": ["a"], "spans": []}\n{"tokens": ["a"], "spans": [{"start": 0, '
        '"end": 3, "label": "PER"}]}\n'
    )
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: span \[0, 3\) outside"):
        read_jsonl(p)
    p.write_text("{not json\n")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: invalid JSON"):
        read_jsonl(p)


def test_text_reader(tmp_path: Path) -> None:
    p = tmp_path / "t.txt"
    p.write_text("Hello  world\n\nVon der Leyen, dijo: «Telefónica».\n")
    sents = read_text(p, lang="en")
    assert [s.tokens for s in sents] == [
        ["Hello", "world"],
        ["Von", "der", "Leyen", ",", "dijo", ":", "«", "Telefónica", "»", "."],
    ]
    assert all(s.spans is None for s in sents)
    s = sents[1]
    assert s.text is not None and s.offsets is not None
    assert [s.text[a:b] for a, b in s.offsets] == s.tokens


def test_txt_file_format_detected_by_content(tmp_path: Path) -> None:
    from xlner.io import detect_format

    text, conll = tmp_path / "a.txt", tmp_path / "b.txt"
    text.write_text("Telefónica anunció ayer.\n")
    conll.write_text("Telefónica B-ORG\nanunció O\n")
    assert detect_format(text) == "text" and detect_format(conll) == "conll"
    bad = tmp_path / "c.conll"
    bad.write_text("Telefónica anunció ayer.\n")
    with pytest.raises(DataFormatError, match="pass --input-format text"):
        read_conll(bad)


def test_conll_score_column_roundtrip(tmp_path: Path) -> None:
    s = [Sentence(["Ana", "Paz", "vino"], [Span(0, 2, "PER", 0.875)], "es", "0")]
    p = tmp_path / "s.conll"
    write_conll(s, p, scores=True)
    assert p.read_text().splitlines()[:3] == ["Ana B-PER 0.8750", "Paz I-PER 0.8750", "vino O -"]
    back = read_conll(p, lang="es")
    assert back == s and back[0].spans is not None and back[0].spans[0].score == 0.875


def test_outputs_respect_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        write_conll([Sentence(["a"], [])], tmp_path / "o.conll")
    finally:
        os.umask(old)
    assert (tmp_path / "o.conll").stat().st_mode & 0o777 == 0o644


TOKEN = st.text(
    alphabet=st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=6
).filter(lambda t: t != "-DOCSTART-")


@st.composite
def sentences(draw: st.DrawFn) -> Sentence:
    tokens = draw(st.lists(TOKEN, min_size=1, max_size=12))
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        if draw(st.booleans()):
            j = draw(st.integers(i + 1, min(len(tokens), i + 3)))
            spans.append(Span(i, j, draw(st.sampled_from(["PER", "ORG", "LOC", "DATE"]))))
            i = j
        i += 1
    return Sentence(tokens, spans)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(sentences(), min_size=1, max_size=5))
def test_roundtrip_identity(tmp_path: Path, sents: list[Sentence]) -> None:
    for i, s in enumerate(sents):
        s.id, s.lang = str(i), "xx"
    c, j = tmp_path / "r.conll", tmp_path / "r.jsonl"
    write_conll(sents, c)
    back = read_conll(c, lang="xx")
    assert [(s.tokens, s.spans) for s in back] == [(s.tokens, s.spans) for s in sents]
    write_conll(back, c)
    assert [(s.tokens, s.spans) for s in read_conll(c)] == [(s.tokens, s.spans) for s in sents]
    write_jsonl(sents, j)
    assert read_jsonl(j) == sents


def test_read_sentences_dispatch(tmp_path: Path) -> None:
    s = [Sentence(["a", "b"], [Span(0, 1, "PER")], "en", "0")]
    write_jsonl(s, tmp_path / "x.jsonl")
    assert read_sentences(tmp_path / "x.jsonl") == s


def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("a O\nb\n")
    assert main(["evaluate", "--gold", str(bad), "--pred", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.txt:2" in err[0] and "Traceback" not in err[0]
    assert main(["evaluate", "--gold", str(tmp_path / "missing.txt"), "--pred", str(bad)]) == 2
    assert "file not found" in capsys.readouterr().err


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    """Every (sub)command of the CLI, as argv prefixes."""
    out = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _commands(sub, (*prefix, name))
    return out


def test_every_help_shows_real_defaults_and_never_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from xlner.cli import build_parser

    commands = _commands(build_parser())
    assert ("train",) in commands and ("bench", "pipeline") in commands
    for argv in commands:
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--help"])
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert "(default: None)" not in text, argv
        if argv == ("train",):  # options without help text still show their default
            assert "(default: 3.0)" in text and "(default: 16)" in text
