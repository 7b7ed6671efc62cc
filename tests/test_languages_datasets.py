from __future__ import annotations

from pathlib import Path

import pytest

from xlner.cli import main
from xlner.datasets import DATASETS, available_languages, load_dataset
from xlner.errors import UnsupportedLanguageError, XlnerError
from xlner.languages import NLLB_CODES, get_language, nllb_code

from .conftest import masakhaner_langs


@pytest.mark.parametrize(
    ("code", "nllb"),
    [
        ("hau", "hau_Latn"),
        ("swa", "swh_Latn"),
        ("sw", "swh_Latn"),
        ("ar", "arb_Arab"),
        ("fa", "pes_Arab"),
        ("ms", "zsm_Latn"),
        ("tl", "tgl_Latn"),
        ("zh", "zho_Hans"),
        ("ja", "jpn_Jpan"),
        ("th", "tha_Thai"),
        ("yo", "yor_Latn"),
        ("en", "eng_Latn"),
        ("hau_Latn", "hau_Latn"),
        ("twi", "twi_Latn"),
        ("es", "spa_Latn"),
    ],
)
def test_nllb_codes(code: str, nllb: str) -> None:
    assert nllb_code(code) == nllb


def test_table_covers_all_nllb_and_flags() -> None:
    assert len(NLLB_CODES) == 202
    assert get_language("ja").no_space and get_language("zh").no_space
    assert get_language("th").no_space and not get_language("hau").no_space
    # every MasakhaNER2 and PAN-X language but bbj/pcm maps to NLLB
    for spec in (DATASETS["masakhaner2"], DATASETS["panx"]):
        for lang in spec.languages:
            if lang in ("bbj", "pcm"):
                continue
            assert get_language(lang).nllb in NLLB_CODES, lang


@pytest.mark.parametrize("code", ["bbj", "pcm"])
def test_unsupported_names_nearest(code: str) -> None:
    with pytest.raises(UnsupportedLanguageError, match="nearest supported codes"):
        nllb_code(code)


def test_unknown_dataset_and_language() -> None:
    with pytest.raises(XlnerError, match="choose one of: masakhaner2"):
        load_dataset("nope", "hau")
    with pytest.raises(XlnerError, match="its languages: bam"):
        load_dataset("masakhaner2", "xx")


def test_missing_dataset_says_where(tmp_path: Path) -> None:
    with pytest.raises(XlnerError, match=r"looked in: .*masakhaner2/hau/test\.txt"):
        load_dataset("masakhaner2", "hau", "test", data_dir=tmp_path, allow_hub=False)


def test_shared_counts(data_dir: Path) -> None:
    assert len(load_dataset("conll03-en", split="test", data_dir=data_dir)) == 3453
    assert len(load_dataset("conll02-es", split="test", data_dir=data_dir)) == 1516
    assert len(load_dataset("masakhaner2", "hau", "test", data_dir=data_dir)) == 1633
    assert "hau" in available_languages("masakhaner2", data_dir)


@pytest.mark.parametrize("lang", masakhaner_langs())
def test_gold_against_itself_is_perfect(
    data_dir: Path, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(data_dir / "masakhaner2" / lang / "test.txt")
    assert main(["evaluate", "--gold", path, "--pred", path, "--format", "json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["overall"]["f1"] == 1.0 and out["proj_ratio"] == 1.0
    assert set(out["per_label"]) == {"PER", "ORG", "LOC"}


def test_new_datasets_on_the_shared_files(data_dir: Path) -> None:
    from xlner.datasets import count_sentences, get_dataset, resolve_split

    eu = load_dataset("panx", "eu", "dev", data_dir=data_dir)
    assert len(eu) == 10000 and eu[0].tokens[:2] == ["Kleopatra", "II.a"]
    assert len(load_dataset("panx", "gu", "dev", data_dir=data_dir)) == 100
    assert len(load_dataset("uner", "hr", "test", data_dir=data_dir)) == 1136
    assert len(load_dataset("uner", "hr", "train", data_dir=data_dir)) == 6914
    assert len(load_dataset("sli-nerc", "gl", "test", data_dir=data_dir)) == 1655
    assert len(load_dataset("sli-nerc", "gl", "train", data_dir=data_dir)) == 6483
    # auto: test where it exists, else dev (PAN-X offline is labelled on dev only)
    assert resolve_split(get_dataset("panx"), "eu", "auto", data_dir) == "dev"
    assert resolve_split(get_dataset("uner"), "hr", "auto", data_dir) == "test"
    assert len(load_dataset("panx", "eu", "auto", data_dir=data_dir)) == 10000
    with pytest.raises(XlnerError, match="has no dev split; its splits: train, test"):
        load_dataset("sli-nerc", "gl", "dev", data_dir=data_dir)
    with pytest.raises(XlnerError, match="splits present: dev"):
        load_dataset("panx", "eu", "test", data_dir=data_dir)
    # every PAN-X folder present is a language, whichever they are
    present = sorted(p.name for p in (data_dir / "panx").iterdir() if p.is_dir())
    assert available_languages("panx", data_dir) == present
    assert count_sentences(data_dir / "conll02-es" / "test.txt") == 1516


def test_a_language_folder_xlner_never_saw_runs_the_same(tmp_path: Path) -> None:
    from xlner.datasets import get_dataset, resolve_languages

    for name in ("panx", "uner", "masakhaner2"):
        folder = tmp_path / name / "zz"
        folder.mkdir(parents=True)
        (folder / "test.txt").write_text("Ana B-PER\nvive O\n\nen O\nLima B-LOC\n\n")
        assert resolve_languages(get_dataset(name), "all", tmp_path) == ["zz"]
        sents = load_dataset(name, "zz", "auto", data_dir=tmp_path, allow_hub=False)
        assert [s.tokens for s in sents] == [["Ana", "vive"], ["en", "Lima"]]
    with pytest.raises(XlnerError, match="has no language 'yy'"):
        load_dataset("uner", "yy", data_dir=tmp_path, allow_hub=False)
