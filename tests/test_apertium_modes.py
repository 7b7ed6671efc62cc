"""Apertium mode resolution: any spelling of a language, macrolanguages and their variants,
both directions; the real installed pairs when Apertium is there."""

from __future__ import annotations

import shutil

import pytest

from xlner.errors import UnsupportedLanguageError
from xlner.translate.apertium import ApertiumTranslator, debian_package, resolve_mode

#: The modes Debian's packages install (apertium -l with every pair of the README).
DEBIAN_MODES = (
    "Cyrl-Latn cat-eng cat-eng_US en-gl eng-cat eng-cat_iec2017 eng-cat_valencia eng-hbs "
    "eng-hbs_BS eng-hbs_HR eng-hbs_SR eng-spa eu-en gl-en hbs-eng isl-eng mkd-eng spa-eng "
    "spa-eng_US"
).split()


@pytest.mark.parametrize(
    ("src", "tgt", "mode"),
    [
        ("es", "en", "spa-eng"),
        ("spa", "eng", "spa-eng"),
        ("en", "es", "eng-spa"),
        ("eu", "en", "eu-en"),
        ("eus", "en", "eu-en"),
        ("gl", "en", "gl-en"),
        ("glg", "eng", "gl-en"),
        ("en", "gl", "en-gl"),
        ("hr", "en", "hbs-eng"),
        ("hrv", "en", "hbs-eng"),
        ("sr", "en", "hbs-eng"),
        ("bs", "en", "hbs-eng"),
        ("en", "hr", "eng-hbs_HR"),
        ("en", "sr", "eng-hbs_SR"),
        ("en", "bos", "eng-hbs_BS"),
        ("en", "hbs", "eng-hbs"),
        ("ca", "en", "cat-eng"),
        ("en", "ca", "eng-cat"),
        ("is", "en", "isl-eng"),
        ("isl", "en", "isl-eng"),
        ("mk", "en", "mkd-eng"),
        ("eu", "es", None),
        ("en", "eu", None),
        ("en", "is", None),
        ("hau", "en", None),
    ],
)
def test_resolve_mode(src: str, tgt: str, mode: str | None) -> None:
    assert resolve_mode(DEBIAN_MODES, src, tgt) == mode


def test_resolve_mode_prefers_an_exact_language_over_its_macrolanguage() -> None:
    assert resolve_mode(["hbs-eng", "hrv-eng"], "hr", "en") == "hrv-eng"
    assert resolve_mode(["hbs-eng", "hrv-eng"], "sr", "en") == "hbs-eng"


def test_missing_pair_names_the_debian_package() -> None:
    assert debian_package("eu", "en") == "apertium-eu-en"
    assert debian_package("hr", "en") == "apertium-hbs-eng"
    assert debian_package("en", "sr") == "apertium-hbs-eng"
    assert debian_package("en", "eu") is None
    assert debian_package("hau", "en") is None
    tr = ApertiumTranslator()
    tr.modes = ["spa-eng"]  # type: ignore[misc]  # cached_property: as if only spa-eng existed
    with pytest.raises(UnsupportedLanguageError, match="apt-get install apertium-hbs-eng"):
        tr.check_languages("hr", "en")
    with pytest.raises(UnsupportedLanguageError, match="NLLB"):
        tr.check_languages("hau", "en")
    with pytest.raises(UnsupportedLanguageError, match="not a language xlner knows"):
        tr.check_languages("qqq", "en")


needs_pairs = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="Apertium not installed (./quickstart installs it)"
)


@needs_pairs
@pytest.mark.parametrize(
    ("src", "tgt", "text", "word"),
    [
        ("eu", "en", "Gaur Bilbon nago.", "Bilbao"),
        ("gl", "en", "O rei de España.", "king"),
        ("hr", "en", "Zagreb je glavni grad Hrvatske.", "Zagreb"),
        ("en", "hr", "The king of Spain.", "kralj"),
        ("en", "gl", "The king of Spain.", "rei"),
    ],
)
def test_real_apertium_pairs(src: str, tgt: str, text: str, word: str) -> None:
    tr = ApertiumTranslator()
    if resolve_mode(tr.modes, src, tgt) is None:
        pytest.skip(f"no pair for {src}->{tgt}: apt-get install {debian_package(src, tgt)}")
    (out,) = tr.translate([text], src, tgt)
    assert word in out
    sig = tr.pair_signature(src, tgt)
    assert sig.startswith("apertium|") and f"{debian_package(src, tgt)}=" in sig
