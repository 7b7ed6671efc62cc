"""The step declarations (xlner.steps.STEPS) are true to what the steps do, and everything
derived from them — a plan's steps, a method's stages and roles, the signatures, the
benchmark's method tables — agrees."""

from __future__ import annotations

from dataclasses import fields

import pytest
from xlner_fakes import CapsTagger, DiagonalAligner, EchoTranslator

from xlner.batch import Batch
from xlner.context import Context
from xlner.data import Sentence, Span
from xlner.execute import GivenBackends
from xlner.methods import Method, all_methods, parse_methods
from xlner.project import PROJECTORS
from xlner.steps import ROLE_ORDER, Plan, method_table
from xlner.translate.cache import CachedTranslator

ENGLISH = [
    Sentence(
        ["John", "Smith", "visited", "Berlin", "."], [Span(0, 2, "PER"), Span(3, 4, "LOC")], "en"
    )
]
TARGET = [Sentence(["Bola", "Tinubu", "ya", "ziyarci", "Abuja", "."], None, "hau")]


def _backends(methods: tuple[Method, ...]) -> GivenBackends:
    return GivenBackends(
        translator=CachedTranslator.wrap(EchoTranslator()),
        source_tagger=CapsTagger(),
        aligner=DiagonalAligner(),
        projectors={
            m: PROJECTORS.create(m.projector) if m.is_projection else None for m in methods
        },
    )


@pytest.mark.parametrize("direction", ["test", "train"])
def test_each_step_writes_what_it_declares_and_times_its_timers(direction: str) -> None:
    methods = tuple(
        m
        for m in [*all_methods(), Method.parse("model-transfer:en")]
        if direction == "test" or (m.is_projection and not m.backtranslate)
    )
    plan = Plan(methods, direction)  # type: ignore[arg-type]
    backends = _backends(methods)
    batch = Batch("hau", 0, ENGLISH if direction == "train" else TARGET, direction)  # type: ignore[arg-type]
    timers = {t for m in methods for t in plan.method_stages(m)}
    for step in plan.steps():
        before = {f.name: repr(getattr(batch, f.name)) for f in fields(batch)}
        step.run(batch, backends.backend(step.role, methods), Context())
        changed = {k for k, v in before.items() if repr(getattr(batch, k)) != v} - {"seconds"}
        assert changed <= set(step.writes), step.name
        assert set(batch.seconds) <= timers, step.name
    assert set(batch.outputs) == {m.name for m in methods}


def test_project_train_lists_only_what_it_runs() -> None:
    """translate-train projects gold English labels: no English tagger in its roles (so in
    neither its signature nor the benchmark's load), where translate-test has one."""
    (ner,) = parse_methods("ner")
    train, test = Plan((ner,), "train"), Plan((ner,))
    assert train.method_roles(ner) == ["translator", "candidate_tagger", "aligner"]
    assert test.method_roles(ner) == ["translator", "source_tagger", "candidate_tagger", "aligner"]
    assert train.method_stages(ner) == ["translate", "tag_candidates", "align", "project:ner"]
    assert method_table([ner], "train")["ner"]["roles"] == train.method_roles(ner)
    gold = Plan((ner,), source="gold")
    assert gold.method_roles(ner) == ["candidate_tagger", "aligner"]
    assert [s.name for s in gold.steps()] == ["read_parallel", "tag_candidates", "align", "project"]


def test_project_train_builds_no_english_tagger(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from xlner.io import write_conll
    from xlner.stages import StageConfig, Stages
    from xlner.tagging import SilverConfig, make_silver

    built: list[str] = []
    tagger = Stages.tagger

    def counting(self: Stages, spec: str):  # type: ignore[no-untyped-def]
        built.append(spec)
        return tagger(self, spec)

    monkeypatch.setattr(Stages, "tagger", counting)
    from xlner.align import ALIGNERS
    from xlner.tag import TAGGERS
    from xlner.translate import TRANSLATORS

    monkeypatch.setitem(TRANSLATORS._entries, "echo", EchoTranslator)
    monkeypatch.setitem(TAGGERS._entries, "caps", CapsTagger)
    monkeypatch.setitem(ALIGNERS._entries, "diag", DiagonalAligner)
    data = tmp_path / "data"
    write_conll(ENGLISH, data / "conll03-en" / "train.txt")
    stages = StageConfig(
        translator="echo", tagger="spacy:nothing", aligner="diag", translation_cache=tmp_path / "t"
    )
    cfg = SilverConfig(
        "hau",
        tmp_path / "silver.conll",
        Method.parse("heuristic"),
        data_dir=str(data),
        stages=stages,
    )
    make_silver(cfg)
    assert built == []  # heuristic: no tagger at all (ner would build the candidate tagger)


def test_roles_are_in_pipeline_order() -> None:
    plan = Plan(tuple(all_methods()))
    assert plan.roles() == list(ROLE_ORDER)
