"""``xlner run``: datasets x languages x methods, streamed, resumable, paper-style tables.

All pending methods of all languages run as one :class:`~xlner.steps.Plan` through one
executor (in-process or Ray), so shared stages run once and every language flows through the
same backends. For each language x method the run writes, as batches finish:

* ``predictions/<lang>/<method>.conll`` (``--scores``: with a confidence column),
* ``lost/<lang>/<method>.jsonl`` — every source entity that was not projected, and why,
* ``scores/<lang>/<method>.json`` — P/R/F1, lost-entity counts per reason, per-stage seconds
  and the signature of what produced it; written last: its presence marks the unit done.

With ``source="gold"`` (``--source gold``, a parallel dataset such as Europarl-NER) the English
side of every projection is the gold English sentence and its entities (filtered to the
scored labels), read instead of translated and tagged.

Files appear whole or not at all. A re-run skips finished units (refusing to mix units whose
signature differs), and finds translations (SQLite) and stage outputs (memo) cached. At the
end ``results.csv``, ``results.md`` and ``scores.json`` are rebuilt from every finished unit.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from xlner.batch import Batch
from xlner.data import REFERENCE_LABELS, Sentence, filter_spans
from xlner.datasets import (
    count_sentences,
    dataset_reader,
    get_dataset,
    parallel_reader,
    parse_dataset_languages,
    resolve_data_dir,
    resolve_split,
)
from xlner.errors import DatasetNotFoundError, UnsupportedLanguageError, XlnerError
from xlner.evaluate import ScoreCounter
from xlner.execute import Source, execute
from xlner.execute.base import DEFAULT_CHUNK, Executor
from xlner.io.atomic import atomic_open, atomic_write_text, check_writable
from xlner.io.formats import SentenceWriter
from xlner.languages import PIVOT
from xlner.lost import write_lost
from xlner.memo import StageMemo
from xlner.methods import Method, parse_methods
from xlner.signature import (
    ROLE_ORDER,
    Signature,
    base_signature,
    differences,
    format_signature,
    method_signature,
    roles_of,
    run_signature,
)
from xlner.stages import StageConfig, Stages
from xlner.steps import SOURCE_SIDES, Context, Plan, SourceSide
from xlner.translate.base import check_directions, pair_signature

Status = Literal["done", "unsupported", "missing"]


@dataclass(frozen=True)
class Target:
    """One language of one dataset, and the split scored (``auto`` resolved)."""

    dataset: str
    lang: str
    split: str

    @property
    def data(self) -> str:
        return f"{self.dataset}/{self.split}"


@dataclass
class RunConfig:
    """``dataset``: one dataset, or several as ``NAME[:LANG+LANG..],..``
    (``conll02-es,panx:eu,sli-nerc:gl,uner:hr``); ``langs`` is used for entries without
    languages. Each language appears once in a run (its files are ``<kind>/<lang>/..``)."""

    dataset: str
    langs: list[str] | str
    methods: list[str]
    out: Path
    stages: StageConfig = field(default_factory=StageConfig)
    split: str = "auto"  # auto: each language's test split, else dev
    matching: str = "greedy"
    data_dir: str | None = None
    limit: int | None = None
    labels: list[str] | None = field(default_factory=lambda: list(REFERENCE_LABELS))  # None: all
    min_score: float = 0.0
    scores_column: bool = False  # a confidence column in the CoNLL predictions
    executor: Executor = "local"
    chunk_size: int = DEFAULT_CHUNK
    ray: Any = None  # xlner.execute.ray.RayOptions
    show_progress: bool = True
    source: SourceSide = "mt"  # gold: the parallel English sentence's gold entities

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.source not in SOURCE_SIDES:
            raise XlnerError(f"--source must be {' or '.join(SOURCE_SIDES)}, got {self.source!r}")
        if not 0.0 <= self.min_score <= 1.0:
            raise XlnerError(f"--min-score must be in [0, 1], got {self.min_score}")
        if self.chunk_size < 1:
            raise XlnerError("--chunk-size must be at least 1")


@dataclass
class UnitResult:
    lang: str
    method: str
    status: Status
    reason: str = ""
    scores: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # the method's stages
    n_sentences: int = 0
    source_entities: int | None = None  # projection methods: entities to project
    lost: dict[str, int] = field(default_factory=dict)  # projection methods: reason -> count
    signature: Signature = field(default_factory=dict)
    data: str = ""  # dataset/split of the unit

    @property
    def f1(self) -> float | None:
        return self.scores["overall"]["f1"] if self.status == "done" else None

    @classmethod
    def load(cls, path: Path) -> UnitResult:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as e:
            raise XlnerError(
                f"{path} is not a result xlner can read ({e}); delete it to redo"
            ) from None


def _say(cfg: RunConfig, text: str) -> None:
    if cfg.show_progress:
        print(text, file=sys.stderr, flush=True)


def unit_path(out: Path, lang: str, method: Method) -> Path:
    return out / "scores" / lang / f"{method.slug}.json"


class _Unit:
    """One language x method being written: predictions, lost entities, counts, seconds."""

    def __init__(self, cfg: RunConfig, lang: str, method: Method, plan: Plan, stack: ExitStack):
        self.method = method
        self.stages = plan.method_stages(method)
        self.counter = ScoreCounter(cfg.labels)
        self.seconds: dict[str, float] = {}
        self.lost: Counter[str] = Counter()
        self.source_entities = 0
        pred = cfg.out / "predictions" / lang / f"{method.slug}.conll"
        self.pred = stack.enter_context(SentenceWriter(pred, "conll", cfg.scores_column))
        self.lost_file = None
        if method.is_projection:
            path = cfg.out / "lost" / lang / f"{method.slug}.jsonl"
            self.lost_file = stack.enter_context(atomic_open(path))

    def add(self, b: Batch) -> None:
        preds = b.outputs[self.method.name]
        for sent, spans in zip(b.sentences, preds):
            self.pred.write(sent.with_spans(spans))
            self.counter.add(sent.spans or [], spans)
        self.add_seconds(b.seconds)
        if self.lost_file is None:
            return
        self.source_entities += sum(len(s) for s in b.src_spans or [])
        self.lost.update(write_lost(self.lost_file, b, self.method.name))

    def add_seconds(self, seconds: dict[str, float]) -> None:
        for k in self.stages:
            if k in seconds:
                self.seconds[k] = self.seconds.get(k, 0.0) + seconds[k]


class RunSink:
    """Writes every unit of every language as its batches arrive (see the module docstring)."""

    def __init__(
        self,
        cfg: RunConfig,
        plan: Plan,
        signatures: dict[tuple[str, str], Signature],
        targets: dict[str, Target],
        stack: ExitStack,
    ) -> None:
        self.cfg, self.plan, self.signatures, self.stack = cfg, plan, signatures, stack
        self.targets = targets
        self.units: dict[str, _Unit] = {}
        self._lang_stack: ExitStack | None = None
        self.results: list[UnitResult] = []

    def start(self, lang: str) -> None:
        self._lang_stack = self.stack.enter_context(ExitStack())
        self.units = {
            m.name: _Unit(self.cfg, lang, m, self.plan, self._lang_stack) for m in self.plan.methods
        }
        self.n = 0

    def add(self, batch: Batch) -> None:
        self.n += len(batch)
        for unit in self.units.values():
            unit.add(batch)

    def add_seconds(self, lang: str, seconds: dict[str, float]) -> None:
        for unit in self.units.values():
            unit.add_seconds(seconds)

    def finish(self, lang: str) -> None:
        assert self._lang_stack is not None
        self._lang_stack.close()  # predictions and lost files are now in place
        for unit in self.units.values():
            m = unit.method
            scores = unit.counter.result()
            result = UnitResult(
                lang,
                m.name,
                "done",
                scores=scores.to_dict(),
                seconds={k: round(v, 4) for k, v in unit.seconds.items()},
                n_sentences=self.n,
                source_entities=unit.source_entities if m.is_projection else None,
                lost=dict(sorted(unit.lost.items())) if m.is_projection else {},
                signature=self.signatures[(lang, m.name)],
                data=self.targets[lang].data,
            )
            atomic_write_text(
                unit_path(self.cfg.out, lang, m), json.dumps(asdict(result), indent=1)
            )
            self.results.append(result)
            total = sum(result.seconds.values())
            f1 = scores.overall.f1
            _say(self.cfg, f"[{lang}] {m.name}: F1 {f1:.4f} ({total:.1f} s, {self.n} sentences)")


def _check_run(cfg: RunConfig, signature: Signature) -> None:
    """The folder gets ``run.json``; once a unit has finished, a re-run must have the same
    signature. A run that finished no unit (it failed at start) fixes nothing: its ``run.json``
    is replaced by the new configuration's."""
    path = cfg.out / "run.json"
    record = {"signature": signature, "signature_text": format_signature(signature)}
    if path.is_file() and _has_finished_unit(cfg.out):
        try:
            old = json.loads(path.read_text(encoding="utf-8")).get("signature", {})
        except ValueError:
            old = {}
        diff = differences(old, signature)
        if diff:
            raise XlnerError(
                f"{cfg.out} holds a run made with another configuration ({'; '.join(diff)}); "
                "use a new --out folder to start a different run"
            )
    else:
        atomic_write_text(path, json.dumps(record, indent=1))


def _has_finished_unit(out: Path) -> bool:
    scores = out / "scores"
    return scores.is_dir() and next(scores.rglob("*.json"), None) is not None


def _done_unit(path: Path, signature: Signature) -> UnitResult:
    unit = UnitResult.load(path)
    diff = differences(unit.signature, signature)
    if diff:
        raise XlnerError(
            f"{path} was computed with another configuration ({'; '.join(diff)}); "
            "delete it to recompute it, or use a new --out folder"
        )
    return unit


def parse_targets(cfg: RunConfig) -> list[tuple[str, str]]:
    """``(dataset, lang)`` of every language of the run, checked; each language once."""
    return parse_dataset_languages(cfg.dataset, cfg.langs, cfg.data_dir)


def _target(cfg: RunConfig, name: str, lang: str) -> Target:
    return Target(name, lang, resolve_split(get_dataset(name), lang, cfg.split, cfg.data_dir))


def _unit_stage_signatures(
    stages: Stages, stage_sigs: Signature, lang: str, method: Method
) -> Signature:
    """The run's stage signatures, with the translator's for this language pair (which pair
    data translated it: Apertium has a package per pair), both directions for ``+bt``."""
    if "translator" not in stage_sigs or not method.is_projection:
        return stage_sigs
    sig = pair_signature(stages.translator, lang, PIVOT)
    if method.backtranslate:
        sig += "||" + pair_signature(stages.translator, PIVOT, lang)
    return {**stage_sigs, "translator": sig}


def _check_supported(stages: Stages, lang: str, method: Method) -> None:
    """Raise UnsupportedLanguageError when the translator lacks a direction ``method`` needs."""
    if method.is_projection:
        check_directions(stages.translator, lang, method.backtranslate)


@dataclass
class RunReport:
    """A run's units (finished now or earlier, unsupported, missing) and its results.md."""

    units: list[UnitResult]
    markdown: str


def run_experiment(cfg: RunConfig) -> RunReport:
    pairs = parse_targets(cfg)
    gold = cfg.source == "gold"
    if gold:  # English is the source side of the pairs, not a target
        pairs = [(name, lang) for name, lang in pairs if lang != PIVOT]
    methods = parse_methods(cfg.methods, cfg.matching)
    Plan(tuple(methods), source=cfg.source)  # refuses what the source cannot run (+bt)
    check_writable(cfg.out, folder=True)
    stages = Stages(cfg.stages)
    roles = [r for r in ROLE_ORDER if any(r in roles_of(m, cfg.source) for m in methods)]
    stage_sigs = stages.signatures(roles)
    datasets = ",".join(dict.fromkeys(name for name, _ in pairs))
    run_base = base_signature(datasets, cfg.split, cfg.labels, cfg.limit, cfg.min_score, cfg.source)
    cfg.out.mkdir(parents=True, exist_ok=True)
    _check_run(cfg, run_signature(run_base, stage_sigs, methods))

    results: list[UnitResult] = []
    targets: list[Target] = []
    sigs: dict[tuple[str, str], Signature] = {}
    pending: dict[tuple[Method, ...], list[Source]] = {}
    for name, lang in pairs:
        try:
            target = _target(cfg, name, lang)
            if gold:
                read = parallel_reader(name, lang, target.split, cfg.data_dir, PIVOT)
            else:
                read = dataset_reader(name, lang, target.split, cfg.data_dir)
        except DatasetNotFoundError as e:
            targets.append(Target(name, lang, cfg.split))
            results += [UnitResult(lang, m.name, "missing", str(e), data=name) for m in methods]
            _say(cfg, f"[{lang}] data missing: {e}")
            continue
        targets.append(target)
        base = base_signature(name, target.split, cfg.labels, cfg.limit, cfg.min_score, cfg.source)
        todo: list[Method] = []
        for m in methods:
            try:
                if not gold:  # the gold source translates nothing
                    _check_supported(stages, lang, m)
            except UnsupportedLanguageError as e:
                results.append(UnitResult(lang, m.name, "unsupported", str(e), data=target.data))
                _say(cfg, f"[{lang}] {m.name}: unsupported: {e}")
                continue
            unit_stages = _unit_stage_signatures(stages, stage_sigs, lang, m)
            sigs[(lang, m.name)] = method_signature(base, unit_stages, m)
            done = unit_path(cfg.out, lang, m)
            if done.is_file():
                results.append(_done_unit(done, sigs[(lang, m.name)]))
                _say(cfg, f"[{lang}] {m.name}: done earlier, skipped")
            else:
                todo.append(m)
        if todo:
            pending.setdefault(tuple(todo), []).append(_source(cfg, target, read))
    memo = StageMemo(cfg.out / "cache")
    ctx = Context(memo, cfg.min_score)
    by_lang = {t.lang: t for t in targets}
    for group, sources in pending.items():
        plan = Plan(group, source=cfg.source)
        with ExitStack() as stack:
            sink = RunSink(cfg, plan, sigs, by_lang, stack)
            execute(
                sources,
                plan,
                stages,
                ctx,
                sink,
                executor=cfg.executor,
                chunk_size=cfg.chunk_size,
                show_progress=cfg.show_progress,
                ray_options=cfg.ray,
                overlap=True,
            )
        results += sink.results
    from xlner.report import write_tables

    signature = format_signature(run_signature(run_base, stage_sigs, methods))
    return RunReport(results, write_tables(cfg, targets, methods, results, signature))


def _source(cfg: RunConfig, target: Target, read: Callable[[], Iterator[Sentence]]) -> Source:
    def limited() -> Iterator[Sentence]:
        sents = islice(read(), cfg.limit) if cfg.limit else read()
        return map(_scored_parallel, sents) if cfg.source == "gold" else sents

    def _scored_parallel(s: Sentence) -> Sentence:
        """The English gold entities projected: the scored labels only (MISC -> O)."""
        if s.parallel is not None and s.parallel.spans is not None:
            s.parallel = s.parallel.with_spans(filter_spans(s.parallel.spans, cfg.labels))
        return s

    count = None
    if cfg.show_progress:  # for the progress bar: count lines, parse nothing
        root = resolve_data_dir(cfg.data_dir)
        path = (
            get_dataset(target.dataset).local_path(root, target.lang, target.split)
            if root
            else None
        )
        if path is not None and path.is_file():
            count = count_sentences(path)
            count = min(count, cfg.limit) if cfg.limit else count
        else:
            count = sum(1 for _ in limited())
    return Source(target.lang, limited, count)
