"""The one vocabulary of transfer methods: parse, validate, list, name files.

A method is ``model-transfer`` (``:en`` for the baseline that applies the *English* tagger to
the target text as it is) or a projection — ``heuristic`` (``:original`` for the
García-Ferrero variant), ``ngram`` or ``ner`` candidates (``:greedy`` default, ``:exact``) —
each projection optionally refined by back-translation (``+bt``). Every spelling a user may
type parses to one :class:`Method` with one canonical :attr:`Method.name` (``ngram:greedy`` and
``ngram`` are the same method, named ``ngram``); file names come from :attr:`Method.slug`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from xlner.errors import XlnerError, close_match, suggest

Kind = Literal["model-transfer", "heuristic", "ngram", "ner"]
Matching = Literal["greedy", "exact"]

MODEL_TRANSFER: Kind = "model-transfer"
PROJECTIONS: tuple[Kind, ...] = ("heuristic", "ngram", "ner")
MATCHINGS: tuple[Matching, ...] = get_args(Matching)
HEURISTIC_VARIANTS = ("original",)

#: ``model-transfer:en``: the English tagger on the target text (a baseline, not a method).
MODEL_TRANSFER_VARIANTS = ("en",)
#: What ``--help`` lists.
SYNTAX = (
    "model-transfer[:en], heuristic[:original], ngram[:greedy|:exact], ner[:greedy|:exact], "
    "each projection optionally +bt"
)
#: The reference paper's column stem of each projection kind.
_PAPER_STEM = {"heuristic": "heuristic", "ngram": "cand_dummy", "ner": "cand_ner"}


@dataclass(frozen=True)
class Method:
    kind: Kind
    variant: str | None = None  # heuristic: None | "original"; ngram/ner: "greedy" | "exact"
    backtranslate: bool = False

    @classmethod
    def parse(cls, text: str, default_matching: str = "greedy") -> Method:
        """``ngram:exact+bt`` -> ``Method("ngram", "exact", True)``; one clear error otherwise."""
        raw = text.strip()
        base, bt = (raw[:-3], True) if raw.endswith("+bt") else (raw, False)
        kind, sep, given = base.partition(":")
        variant: str | None = given
        if kind not in (MODEL_TRANSFER, *PROJECTIONS) or (
            kind == MODEL_TRANSFER and (bt or (sep and given not in MODEL_TRANSFER_VARIANTS))
        ):
            near = close_match(kind, (MODEL_TRANSFER, *PROJECTIONS))
            hint = f" (did you mean {near}{sep}{given}{'+bt' if bt else ''}?)" if near else ""
            raise XlnerError(f"unknown method {text!r}{hint}; choose {SYNTAX}")
        if kind in ("ngram", "ner"):
            variant = given or default_matching
            if variant not in MATCHINGS:
                raise XlnerError(
                    f"unknown matching {variant!r} in {text!r}{suggest(variant, MATCHINGS)}; "
                    f"choose {' or '.join(MATCHINGS)}"
                )
        elif kind == "heuristic":
            variant = None if given in ("", "reference") else given
            if variant is not None and variant not in HEURISTIC_VARIANTS:
                raise XlnerError(f"unknown heuristic variant {variant!r}; choose original")
        return cls(kind, variant or None, bt)

    @property
    def name(self) -> str:
        """Canonical name: the default matching (greedy) is left out."""
        base = self.kind if self.variant in (None, "greedy") else f"{self.kind}:{self.variant}"
        return base + ("+bt" if self.backtranslate else "")

    @property
    def slug(self) -> str:
        """The name as a file name (``ngram:exact+bt`` -> ``ngram-exact+bt``)."""
        return self.name.replace(":", "-")

    @property
    def is_english_baseline(self) -> bool:
        """``model-transfer:en``: the English tagger applied to the target text."""
        return self.kind == MODEL_TRANSFER and self.variant == "en"

    @property
    def label(self) -> str:
        """The name shown in tables (the baseline says what it is)."""
        return "English tagger on target (baseline)" if self.is_english_baseline else self.name

    @property
    def is_projection(self) -> bool:
        return self.kind != MODEL_TRANSFER

    @property
    def needs_candidates(self) -> bool:
        return self.kind == "ner"

    @property
    def projector(self) -> str:
        """The projector registry spec (``ngram:exact``)."""
        return f"{self.kind}:{self.variant}" if self.variant else self.kind

    def paper_column(self, aligner: str) -> str | None:
        """The reference CSV column for this method, if the paper ran it."""
        if self.kind == MODEL_TRANSFER:
            return None if self.is_english_baseline else "model_transfer"
        name = aligner.split(":")[0]
        if name not in ("simalign", "awesome") or self.variant in ("exact", "original"):
            return None
        direction = "backtrans" if self.backtranslate else "src2tgt"
        return f"{_PAPER_STEM[self.kind]}_{direction}_{name}"

    def __str__(self) -> str:
        return self.name


def parse_methods(texts: str | list[str], default_matching: str = "greedy") -> list[Method]:
    """A comma list (or list) of methods, each once."""
    items = texts.split(",") if isinstance(texts, str) else texts
    methods = [Method.parse(t, default_matching) for t in items if t.strip()]
    if not methods:
        raise XlnerError(f"no method given; choose {SYNTAX}")
    seen: set[str] = set()
    for m in methods:
        if m.name in seen:
            raise XlnerError(f"method {m.name} is listed twice")
        seen.add(m.name)
    return methods


def all_methods() -> list[Method]:
    """Every method xlner runs, in a stable order (for ``--help`` and the benchmark)."""
    out = [Method(MODEL_TRANSFER)]
    for bt in (False, True):
        out += [Method("heuristic", None, bt), Method("heuristic", "original", bt)]
        for kind in ("ngram", "ner"):
            out += [Method(kind, m, bt) for m in MATCHINGS]
    return out
