"""The Translator protocol and its registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from xlner.registry import Registry


@runtime_checkable
class Translator(Protocol):
    """Batched translation; languages are xlner codes (``hau``, ``en``), mapped to the
    backend's own codes by the language table."""

    @property
    def signature(self) -> str:
        """Backend, model and generation settings: the translation cache key."""
        ...

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        """Raise :class:`~xlner.errors.UnsupportedLanguageError` when the pair is not covered."""
        ...

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]: ...


def pair_signature(translator: Translator, src_lang: str, tgt_lang: str) -> str:
    """The signature of what translates ``src_lang`` into ``tgt_lang``: a backend whose data
    differs per pair (Apertium: one package per pair) says which pair and version by a
    ``pair_signature(src, tgt)`` method; other backends' signature covers every pair."""
    own = getattr(translator, "pair_signature", None)
    return str(own(src_lang, tgt_lang)) if own is not None else translator.signature


def check_directions(translator: Translator, lang: str, back: bool) -> None:
    """Raise UnsupportedLanguageError unless ``translator`` translates ``lang`` into English
    and, with ``back`` (back-translation), English into ``lang``."""
    from xlner.languages import PIVOT

    translator.check_languages(lang, PIVOT)
    if back:
        translator.check_languages(PIVOT, lang)


TRANSLATORS: Registry[Translator] = Registry("translator", "xlner.translators")
TRANSLATORS.register(
    "hf",
    "xlner.translate.hf:HFTranslator",
    help="Hugging Face seq2seq: NLLB-200, M2M100, Marian (hub name or path)",
)
TRANSLATORS.register(
    "ct2",
    "xlner.translate.ct2:CT2Translator",
    help="CTranslate2 model directory (int8 on CPU, float16 on GPU)",
)
TRANSLATORS.register(
    "apertium",
    "xlner.translate.apertium:ApertiumTranslator",
    help="Apertium rule-based MT installed from Debian packages",
)
