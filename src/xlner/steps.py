"""The steps of every transfer method, each declared once (:data:`STEPS`), over a
:class:`~xlner.batch.Batch`.

A :class:`Step` says everything about one step: its name, the backend role it runs with, the
batch fields it reads and writes, its timer names, which methods need it, and in which
direction (translate-test, ``test``: target -> English; translate-train, ``train``: English ->
target) and from which source side (machine translation or a parallel dataset's gold English)
it runs. A :class:`Plan` (the methods to run, direction, source side) derives from them its
steps, each method's stages (the seconds its cost sums) and the backend roles of the plan and
of each method (what its signature lists; :mod:`xlner.signature`). Every executor —
in-process (:mod:`xlner.execute.local`), Ray (:mod:`xlner.execute.ray`), the server
(:mod:`xlner.serve`) — runs these same functions, in this order::

    translate       translator  target text -> English words         (test, mt)
    translate       translator  English words -> target words        (train)
    read_parallel   -           the parallel English and its entities (test, gold)
    tag_source      tagger      English words -> English entities    (test, mt)
    tag_target_en   tagger      target words -> tgt_tags_en         (model-transfer:en baseline)
    tag_target      mt tagger   target words -> tgt_tags            (model transfer)
    tag_candidates  cand tagger target words -> NER candidates       (ner)
    bt_translate    translator  marked English -> labelled segments  (+bt)
    align           aligner     English words <-> target words       (projections without +bt)
    bt_align        aligner     back-translation <-> target words    (+bt)
    project         -           entities -> target spans, per method, with confidences

A new step is one function and one entry of :data:`STEPS`; a new method kind is a
:class:`~xlner.methods.Method` and the ``needed_by`` predicates of the steps it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from xlner.batch import Batch, Direction
from xlner.context import Context as Context
from xlner.errors import XlnerError
from xlner.methods import MODEL_TRANSFER, Method
from xlner.step_functions import (
    WordPairs,
    align,
    bt_align,
    bt_pairs,
    bt_translate,
    project,
    project_stage,
    read_parallel,
    src_pairs,
    tag_candidates,
    tag_source,
    tag_target,
    tag_target_en,
    translate_from_pivot,
    translate_to_pivot,
)

__all__ = [
    "ROLE_ORDER",
    "STEPS",
    "BackendRole",
    "Context",
    "Plan",
    "Role",
    "SourceSide",
    "Step",
    "align",
    "method_table",
    "project",
    "project_stage",
    "read_parallel",
]

#: A backend role: the backends a run builds (:class:`~xlner.stages.Stages`).
BackendRole = Literal["translator", "source_tagger", "mt_tagger", "candidate_tagger", "aligner"]
#: What a step runs with: a backend, the projectors of the plan's methods, or nothing (data).
Role = Literal[BackendRole, "projectors", "data"]
#: The backend roles in pipeline order: the order of a signature's fields and of model loads.
ROLE_ORDER: tuple[BackendRole, ...] = (
    "translator",
    "source_tagger",
    "mt_tagger",
    "candidate_tagger",
    "aligner",
)
#: Where the English side of a projection comes from: machine translation of the target
#: sentence tagged by the English tagger, or the gold parallel sentence (no backend).
SourceSide = Literal["mt", "gold"]
SOURCE_SIDES: tuple[SourceSide, ...] = ("mt", "gold")
DIRECTIONS: tuple[Direction, ...] = ("test", "train")

StepFn = Callable[[Batch, Any, Context], None]


def _projection(m: Method) -> bool:
    return m.is_projection


def _src_projection(m: Method) -> bool:
    return m.is_projection and not m.backtranslate


def _backtranslated(m: Method) -> bool:
    return m.backtranslate


def _model_transfer(m: Method) -> bool:
    return m.kind == MODEL_TRANSFER and not m.is_english_baseline


def _english_baseline(m: Method) -> bool:
    return m.is_english_baseline


def _candidates(m: Method) -> bool:
    return m.needs_candidates


def _every(m: Method) -> bool:
    return True


def _project_timer(m: Method) -> str | None:
    return project_stage(m) if m.is_projection else None  # model transfer: a threshold only


@dataclass(frozen=True)
class Step:
    """One step, declared once.

    ``reads`` / ``writes``: the :class:`~xlner.batch.Batch` fields it uses and fills;
    ``needed_by``: whether a method runs it; ``directions`` / ``sources``: the plans it runs
    in; ``timer``: its timer's name for a method (``None``: untimed for that method; default:
    the step's name); ``aligned``: for an aligner step, the word sequences it aligns."""

    name: str
    role: Role
    run: StepFn
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    needed_by: Callable[[Method], bool]
    directions: tuple[Direction, ...] = DIRECTIONS
    sources: tuple[SourceSide, ...] = SOURCE_SIDES
    timer: Callable[[Method], str | None] | None = None
    aligned: Callable[[Batch], WordPairs] | None = None

    def runs_in(self, direction: Direction, source: SourceSide) -> bool:
        return direction in self.directions and source in self.sources

    def timer_of(self, method: Method) -> str | None:
        """The name ``method``'s seconds of this step are counted under."""
        if not self.needed_by(method):
            return None
        return self.name if self.timer is None else self.timer(method)


_TGT = ("sentences",)
_PROJECTED = (
    *("tgt_tags", "tgt_tags_en", "src_words", "src_spans", "tgt_words", "candidates"),
    *("alignments", "bt", "bt_alignments", "too_long"),
)
#: Every step, in the order a plan runs them (steps of one kind of backend adjacent: one Ray
#: pool each).
STEPS: tuple[Step, ...] = (
    Step(
        "translate",
        "translator",
        translate_to_pivot,
        reads=_TGT,
        writes=("tgt_words", "translations", "src_words"),
        needed_by=_projection,
        directions=("test",),
        sources=("mt",),
    ),
    Step(
        "translate",
        "translator",
        translate_from_pivot,
        reads=_TGT,
        writes=("src_words", "src_spans", "translations", "tgt_words"),
        needed_by=_projection,
        directions=("train",),
    ),
    Step(
        "read_parallel",
        "data",
        read_parallel,
        reads=_TGT,
        writes=("tgt_words", "src_words", "src_spans"),
        needed_by=_projection,
        directions=("test",),
        sources=("gold",),
    ),
    Step(
        "tag_source",
        "source_tagger",
        tag_source,
        reads=("src_words",),
        writes=("src_spans",),
        needed_by=_projection,
        directions=("test",),
        sources=("mt",),
    ),
    Step(
        "tag_target_en",
        "source_tagger",
        tag_target_en,
        reads=_TGT,
        writes=("tgt_tags_en",),
        needed_by=_english_baseline,
    ),
    Step(
        "tag_target",
        "mt_tagger",
        tag_target,
        reads=_TGT,
        writes=("tgt_tags",),
        needed_by=_model_transfer,
    ),
    Step(
        "tag_candidates",
        "candidate_tagger",
        tag_candidates,
        reads=("tgt_words",),
        writes=("candidates",),
        needed_by=_candidates,
    ),
    Step(
        "bt_translate",
        "translator",
        bt_translate,
        reads=("src_words", "src_spans"),
        writes=("bt",),
        needed_by=_backtranslated,
        directions=("test",),
        sources=("mt",),
    ),
    Step(
        "align",
        "aligner",
        align,
        reads=("src_words", "tgt_words"),
        writes=("alignments", "too_long"),
        needed_by=_src_projection,
        aligned=src_pairs,
    ),
    Step(
        "bt_align",
        "aligner",
        bt_align,
        reads=("bt", "tgt_words"),
        writes=("bt_alignments", "too_long"),
        needed_by=_backtranslated,
        directions=("test",),
        sources=("mt",),
        aligned=bt_pairs,
    ),
    Step(
        "project",
        "projectors",
        project,
        reads=_PROJECTED,
        writes=("outputs", "lost"),
        needed_by=_every,
        timer=_project_timer,
    ),
)


def _in_role_order(roles: set[Role]) -> list[BackendRole]:
    return [r for r in ROLE_ORDER if r in roles]


@dataclass(frozen=True)
class Plan:
    """The methods run together on one corpus, and the steps that serve them (derived from
    :data:`STEPS`)."""

    methods: tuple[Method, ...]
    direction: Direction = "test"
    source: SourceSide = "mt"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise XlnerError(f"unknown direction {self.direction!r}; choose test or train")
        if self.source not in SOURCE_SIDES:
            raise XlnerError(f"unknown source {self.source!r}; choose {' or '.join(SOURCE_SIDES)}")
        if self.source == "gold":
            if self.direction != "test":
                raise XlnerError("the gold source projects onto test sentences, not training ones")
            bt = [m.name for m in self.methods if m.backtranslate]
            if bt:
                raise XlnerError(
                    f"{', '.join(bt)}: back-translation needs a translator, and the gold source "
                    "runs none; drop +bt"
                )

    def steps(self) -> list[Step]:
        return [
            s
            for s in STEPS
            if s.runs_in(self.direction, self.source) and any(map(s.needed_by, self.methods))
        ]

    def method_steps(self, method: Method) -> list[Step]:
        return [s for s in self.steps() if s.needed_by(method)]

    def method_stages(self, method: Method) -> list[str]:
        """The timers whose seconds make up ``method``'s cost (shared stages in each)."""
        timers = (s.timer_of(method) for s in self.method_steps(method))
        return [t for t in timers if t is not None]

    def roles(self) -> list[BackendRole]:
        """The backends the plan runs with, in :data:`ROLE_ORDER`."""
        return _in_role_order({s.role for s in self.steps()})

    def method_roles(self, method: Method) -> list[BackendRole]:
        """The backends ``method`` runs with (what its signature lists), in :data:`ROLE_ORDER`:
        translate-train loads no English tagger, the gold source no translator."""
        return _in_role_order({s.role for s in self.method_steps(method)})


def aligner_steps(steps: Sequence[Step]) -> list[Step]:
    return [s for s in steps if s.aligned is not None]


def method_table(
    methods: Sequence[Method], direction: Direction = "test", source: SourceSide = "mt"
) -> Mapping[str, dict[str, list[str]]]:
    """Each method's stages (what its cost sums) and backend roles (what it loads), as the
    benchmarks record them."""
    plan = Plan(tuple(methods), direction, source)
    return {
        m.name: {"stages": plan.method_stages(m), "roles": list(plan.method_roles(m))}
        for m in methods
    }
