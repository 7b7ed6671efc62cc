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

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

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
from xlner.execute import Source, execute
from xlner.execute.base import DEFAULT_CHUNK, Executor
from xlner.io.atomic import check_writable
from xlner.languages import PIVOT
from xlner.memo import StageMemo
from xlner.methods import Method, parse_methods
from xlner.signature import (
    Signature,
    base_signature,
    format_signature,
    method_signature,
    run_signature,
)
from xlner.stages import StageConfig, Stages
from xlner.steps import SOURCE_SIDES, Context, Plan, SourceSide
from xlner.translate.base import check_directions, pair_signature
from xlner.units import (
    RunSink,
    Target,
    UnitResult,
    check_run,
    done_unit,
    say,
    unit_path,
)


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
    if cfg.source == "gold":  # English is the source side of the pairs, not a target
        pairs = [(name, lang) for name, lang in pairs if lang != PIVOT]
    methods = parse_methods(cfg.methods, cfg.matching)
    whole = Plan(tuple(methods), source=cfg.source)  # refuses what the source cannot run (+bt)
    check_writable(cfg.out, folder=True)
    stages = Stages(cfg.stages)
    stage_sigs = stages.signatures(whole.roles())
    datasets = ",".join(dict.fromkeys(name for name, _ in pairs))
    run_base = base_signature(datasets, cfg.split, cfg.labels, cfg.limit, cfg.min_score, cfg.source)
    cfg.out.mkdir(parents=True, exist_ok=True)
    run_sig = run_signature(run_base, stage_sigs, whole)
    check_run(cfg, run_sig)

    work = _sort_units(cfg, pairs, whole, stages, stage_sigs)
    memo = StageMemo(cfg.out / "cache")
    ctx = Context(memo, cfg.min_score, signatures=stages.signed)
    by_lang = {t.lang: t for t in work.targets}
    for group, sources in work.pending.items():
        plan = Plan(group, source=cfg.source)
        with ExitStack() as stack:
            sink = RunSink(cfg, plan, work.signatures, by_lang, stack)
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
        work.results += sink.results
    from xlner.report import write_tables

    signature = format_signature(run_sig)
    return RunReport(
        work.results, write_tables(cfg, work.targets, methods, work.results, signature)
    )


@dataclass
class _Work:
    """The run's units sorted: finished earlier, unsupported or missing (``results``), and
    the sources still to run, grouped by the methods they need (``pending``)."""

    results: list[UnitResult] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    signatures: dict[tuple[str, str], Signature] = field(default_factory=dict)
    pending: dict[tuple[Method, ...], list[Source]] = field(default_factory=dict)


def _sort_units(
    cfg: RunConfig,
    pairs: list[tuple[str, str]],
    whole: Plan,
    stages: Stages,
    stage_sigs: Signature,
) -> _Work:
    """Each language's data found (else its units are ``missing``), each of its units
    signed, then skipped when done earlier (same signature), ``unsupported`` when the
    translator lacks a direction it needs, else pending."""
    gold = cfg.source == "gold"
    methods = whole.methods
    work = _Work()
    for name, lang in pairs:
        try:
            target = _target(cfg, name, lang)
            if gold:
                read = parallel_reader(name, lang, target.split, cfg.data_dir, PIVOT)
            else:
                read = dataset_reader(name, lang, target.split, cfg.data_dir)
        except DatasetNotFoundError as e:
            work.targets.append(Target(name, lang, cfg.split))
            work.results += [
                UnitResult(lang, m.name, "missing", str(e), data=name) for m in methods
            ]
            say(cfg, f"[{lang}] data missing: {e}")
            continue
        work.targets.append(target)
        base = base_signature(name, target.split, cfg.labels, cfg.limit, cfg.min_score, cfg.source)
        todo: list[Method] = []
        for m in methods:
            try:
                if not gold:  # the gold source translates nothing
                    _check_supported(stages, lang, m)
            except UnsupportedLanguageError as e:
                work.results.append(
                    UnitResult(lang, m.name, "unsupported", str(e), data=target.data)
                )
                say(cfg, f"[{lang}] {m.name}: unsupported: {e}")
                continue
            unit_stages = _unit_stage_signatures(stages, stage_sigs, lang, m)
            sig = method_signature(base, unit_stages, whole, m)
            work.signatures[(lang, m.name)] = sig
            done = unit_path(cfg.out, lang, m)
            if done.is_file():
                work.results.append(done_unit(done, sig))
                say(cfg, f"[{lang}] {m.name}: done earlier, skipped")
            else:
                todo.append(m)
        if todo:
            work.pending.setdefault(tuple(todo), []).append(_source(cfg, target, read))
    return work


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
    if cfg.show_progress:  # the progress bar's total: lines counted, nothing parsed
        root = resolve_data_dir(cfg.data_dir)
        path = (
            get_dataset(target.dataset).local_path(root, target.lang, target.split)
            if root
            else None
        )
        if path is not None and path.is_file():  # else (from the hub) a bar without a total
            count = count_sentences(path)
            count = min(count, cfg.limit) if cfg.limit else count
    return Source(target.lang, limited, count)
