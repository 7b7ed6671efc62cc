"""The Tagger protocol, its registry, and label normalisation shared by taggers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from xlner.data import Span, is_valid_tag
from xlner.registry import Registry

#: Label names of common NER schemes -> xlner's PER/ORG/LOC/MISC (None drops the entity).
DEFAULT_LABEL_MAP: dict[str, str | None] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "ORGANIZATION": "ORG",
    "LOC": "LOC",
    "LOCATION": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "DATE": None,
    "TIME": None,
    "PERCENT": None,
    "MONEY": None,
    "QUANTITY": None,
    "ORDINAL": None,
    "CARDINAL": None,
}


@runtime_checkable
class Tagger(Protocol):
    """Word-level NER: words in, spans (half-open word offsets) out."""

    @property
    def signature(self) -> str: ...

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]: ...


def normalise_label(label: str, label_map: dict[str, str | None] | None) -> str | None:
    mapping = DEFAULT_LABEL_MAP if label_map is None else label_map
    return mapping.get(label, label) if label in mapping else label


def as_tag(label: str) -> str:
    """A model label as a BIO tag: valid tags stay, a bare label ``PER`` becomes ``I-PER``
    (consecutive words join, as IO tagging means), ``O``-like labels stay ``O``."""
    if is_valid_tag(label):
        return label
    return "O" if label.upper() in ("O", "OUTSIDE") else f"I-{label}"


TAGGERS: Registry[Tagger] = Registry("tagger", "xlner.taggers")
TAGGERS.register(
    "hf", "xlner.tag.hf:HFTagger", help="Hugging Face token classification (hub name or path)"
)
TAGGERS.register(
    "spacy",
    "xlner.tag.spacy:SpacyTagger",
    help="an installed spaCy pipeline run on the given words",
)
