"""Messages a user sees (issue #24, item 4): format detection, counts, warnings, written paths,
did-you-mean, and the names of missing models. Fast: no model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlner.cli import main
from xlner.errors import DataFormatError

CONLL03_4COL = """-DOCSTART- -X- -X- O

SOCCER NN B-NP O
- : O O
JAPAN NNP B-NP B-LOC
GET VB B-VP O
LUCKY NNP B-NP O
WIN NNP I-NP O
, , O O
CHINA NNP B-NP B-PER
IN IN B-PP O
SURPRISE DT B-NP O
DEFEAT NN I-NP O
. . O O

Nadim NNP B-NP B-PER
Ladki NNP I-NP I-PER

AL-AIN NNP B-NP B-LOC
, , O O
United NNP B-NP B-LOC
Arab NNP I-NP I-LOC
Emirates NNPS I-NP I-LOC
1996-12-06 CD I-NP O
"""


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


# --------------------------------------------------------------------------- format detection


def test_four_column_conll03_txt_is_conll_with_the_tag_last(tmp_path: Path) -> None:
    from xlner.io import detect_format, read_sentences

    path = tmp_path / "conll03.txt"
    path.write_text(CONLL03_4COL)
    assert detect_format(path) == "conll"
    sents = read_sentences(path)
    assert len(sents) == 3
    assert [(s.start, s.end, s.label) for s in sents[2].spans or []] == [
        (0, 1, "LOC"),
        (2, 5, "LOC"),
    ]


def test_column_file_with_a_bad_first_line_is_reported_not_read_as_text(tmp_path: Path) -> None:
    from xlner.io import detect_format, read_sentences

    path = tmp_path / "with-header.txt"
    path.write_text("token POS chunk NER\n" + CONLL03_4COL)
    assert detect_format(path) == "conll"  # 1 line of 22 disagrees: not plain text
    with pytest.raises(DataFormatError, match=r"with-header\.txt:1"):
        read_sentences(path)


def test_text_whose_first_line_ends_like_a_tag_is_text(tmp_path: Path) -> None:
    from xlner.io import detect_format

    path = tmp_path / "notes.txt"
    path.write_text("Plan O\nMeet Ana in Madrid at noon .\nThen lunch with the team .\n")
    assert detect_format(path) == "text"


# --------------------------------------------------------------------------- sentence counts


def _conll(path: Path, sents: list[list[tuple[str, str]]]) -> Path:
    path.write_text("".join("".join(f"{w} {t}\n" for w, t in s) + "\n" for s in sents))
    return path


SENTS = [
    [("Ana", "B-PER"), ("vino", "O")],
    [("Madrid", "B-LOC"), ("es", "O"), ("grande", "O")],
    [("Hola", "O")],
]


@pytest.mark.parametrize(
    "pred_sents",
    [SENTS[:2], SENTS[:1] + SENTS[2:]],  # one missing at the end; one missing in the middle
    ids=["end", "middle"],
)
def test_evaluate_unequal_counts_names_both_files_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pred_sents: list
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = _conll(tmp_path / "pred.conll", pred_sents)
    for extra in ([], ["--curve"]):
        assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), *extra]) == 2
        err = _err(capsys).strip().splitlines()
        assert len(err) == 1, err
        assert f"{gold} has 3 sentences, {pred} has 2" in err[0]


def test_evaluate_same_count_different_words_names_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = _conll(tmp_path / "pred.conll", [SENTS[0], [("Paris", "B-LOC")], SENTS[2]])
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred)]) == 2
    err = _err(capsys).strip()
    assert "sentence 2" in err and f"{gold} 'Madrid', {pred} 'Paris'" in err


# --------------------------------------------------------------------------- --curve, no scores


def test_curve_without_scores_warns_once_and_names_no_best_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    assert main(["evaluate", "--gold", str(gold), "--pred", str(gold), "--curve"]) == 0
    cap = capsys.readouterr()
    warnings = [x for x in cap.err.splitlines() if "warning" in x]
    assert len(warnings) == 1 and "no confidence scores" in warnings[0]
    assert "flat" in warnings[0] and str(gold) in warnings[0]
    assert "--min-score" not in cap.out and "**best**" not in cap.out
    assert "best threshold: none" in cap.out


def test_curve_with_scores_has_no_warning_and_a_plot_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.data import Sentence, Span
    from xlner.io.conll import write_conll

    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = tmp_path / "pred.conll"
    write_conll(
        [
            Sentence(["Ana", "vino"], [Span(0, 1, "PER", 0.9)]),
            Sentence(["Madrid", "es", "grande"], [Span(0, 1, "LOC", 0.3)]),
            Sentence(["Hola"], []),
        ],
        pred,
        scores=True,
    )
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--curve"]) == 0
    cap = capsys.readouterr()
    assert "warning" not in cap.err and "--min-score 0" in cap.out
