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
