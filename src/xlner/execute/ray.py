"""The Ray executor: the same steps, each backend in a Ray actor, all languages through the
same actor pools (Ray Data ``map_batches`` with callable classes).

* The driver streams every source once into chunk files under the run's cache (a shared
  path on a cluster), so its memory stays bounded by a chunk; the dataset's rows are only
  the chunks' paths, in order: every language's chunks flow through the same pools.
* Consecutive steps whose backends are of one kind run in one pool — ``translator``,
  ``tagger``, ``aligner``, ``project`` — whose actors build their backends once (each model
  loads once per actor, never per language) with the resources of ``--ray-stage``.
* Back-pressure, scheduling and retries are Ray Data's: an actor that dies is restarted and
  its chunk retried. Stage outputs are content-keyed and written atomically, so a retried
  chunk gives the same result and nothing is counted twice; the driver consumes each chunk
  once, in order (``preserve_order``), and the sink writes as they arrive.
* A corpus-level aligner (eflomal) runs as one Ray task per language between the two passes
  (see :mod:`xlner.execute.local`); each chunk file is rewritten with its pass-1 batch, and
  pass 2 runs only the aligner steps and the rest on it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from xlner.align.corpus import CorpusAligner, CorpusFiles
from xlner.batch import Batch, Direction
from xlner.context import Context
from xlner.errors import MissingDependencyError, XlnerError
from xlner.execute.base import (
    CorpusPass,
    Sink,
    Source,
    batches,
    run_steps,
    split_at_corpus_alignment,
)
from xlner.execute.ray_options import RayOptions
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.progress import StageBar
from xlner.stages import StageConfig, Stages
from xlner.steps import Plan, Role, SourceSide, Step

#: The pool each backend role runs in.
POOL_OF: dict[Role, str] = {
    "translator": "translator",
    "source_tagger": "tagger",
    "mt_tagger": "tagger",
    "candidate_tagger": "tagger",
    "aligner": "aligner",
    "projectors": "project",
    "data": "project",
}


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingDependencyError("ray[data]", "ray", "the Ray executor") from None
    return ray


@dataclass(frozen=True)
class ContextSpec:
    """What an actor needs to rebuild the run's :class:`~xlner.steps.Context`."""

    memo: str | None
    min_score: float
    corpus: tuple[tuple[str, int, str], ...]  # (stage, source index, links path)

    @classmethod
    def of(cls, ctx: Context) -> ContextSpec:
        memo = None if ctx.memo is None else str(ctx.memo.root)
        return cls(memo, ctx.min_score, tuple((s, i, p) for (s, i), p in ctx.corpus.items()))

    def build(self) -> Context:
        memo = None if self.memo is None else StageMemo(self.memo)
        return Context(memo, self.min_score, {(s, i): p for s, i, p in self.corpus})


class StageActor:
    """A Ray Data callable class: runs some consecutive steps on one chunk at a time; builds
    the backends of its steps once, on first use. Each pool gets a subclass holding its
    settings in ``spec`` (named after the pool, so Ray's logs say which pool is which)."""

    spec: tuple[StageConfig, tuple[str, ...], Direction, SourceSide, tuple[str, ...], ContextSpec]

    def __init__(self) -> None:
        cfg, methods, direction, source, steps, ctx = self.spec
        self.plan = Plan(tuple(Method.parse(m) for m in methods), direction, source)
        self.steps = [s for s in self.plan.steps() if s.name in steps]
        self.stages = Stages(cfg)
        self.ctx = ctx.build()

    @classmethod
    def for_pool(
        cls, pool: str, cfg: StageConfig, plan: Plan, steps: tuple[str, ...], ctx: ContextSpec
    ) -> type[StageActor]:
        spec = (cfg, tuple(m.name for m in plan.methods), plan.direction, plan.source, steps, ctx)
        return type(pool, (cls,), {"spec": spec})

    def __call__(self, rows: dict[str, Any]) -> dict[str, Any]:
        out = []
        for text, path in zip(rows["batch"], rows["path"]):
            batch = Batch.from_json(text if text else Path(path).read_text(encoding="utf-8"))
            run_steps(batch, self.steps, self.stages, self.plan, self.ctx)
            out.append(batch.to_json())
        return {"batch": out, "path": [""] * len(out)}


def _align_corpus_task(cfg: StageConfig, files: CorpusFiles, cache: str) -> tuple[str, float]:
    import time

    from xlner.align.corpus import align_corpus

    start = time.perf_counter()
    aligner = cast(CorpusAligner, Stages(cfg).aligner)  # corpus-level: it aligns files
    path = align_corpus(aligner, files, Path(cache))
    return str(path), time.perf_counter() - start


def pools(steps: Sequence[Step]) -> list[tuple[str, tuple[str, ...]]]:
    """Consecutive steps grouped by the pool of their backend."""
    out: list[tuple[str, list[str]]] = []
    for s in steps:
        pool = POOL_OF[s.role]
        if out and out[-1][0] == pool:
            out[-1][1].append(s.name)
        else:
            out.append((pool, [s.name]))
    return [(p, tuple(names)) for p, names in out]


class _Run:
    def __init__(self, ray: Any, cfg: StageConfig, plan: Plan, options: RayOptions) -> None:
        self.ray, self.cfg, self.plan, self.options = ray, cfg, plan, options

    def default_cpus(self, n_pools: int, workers: int) -> float:
        """A pool's CPU reservation when none is set: the cluster's CPUs shared by every actor
        of the run's pools (at most 1 each), so all pools fit even on a small machine."""
        total = float(self.ray.cluster_resources().get("CPU", 1.0))
        return min(1.0, total / max(1, n_pools * workers))

    def stream(
        self, chunks: list[dict[str, Any]], steps: Sequence[Step], ctx: Context
    ) -> Iterator[Batch]:
        """Every chunk through ``steps`` on the actor pools, in order."""
        ds = self.ray.data.from_items(chunks, override_num_blocks=max(1, len(chunks)))
        spec = ContextSpec.of(ctx)
        groups = pools(steps)
        for pool, names in groups:
            po = self.options.pool(pool)
            ds = ds.map_batches(
                StageActor.for_pool(pool, self.cfg, self.plan, names, spec),
                batch_size=1,
                batch_format="numpy",
                compute=self.ray.data.ActorPoolStrategy(size=po.workers),
                **po.remote_args(self.default_cpus(len(groups), po.workers)),
            )
        for row in ds.iter_rows():
            yield Batch.from_json(str(row["batch"]))


def _write_chunks(
    sources: Sequence[Source], size: int, direction: Direction, folder: Path
) -> list[list[dict[str, Any]]]:
    """Stream every source into chunk files; per source, its chunks' rows."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, source in enumerate(sources):
        rows = []
        for batch in batches(source, size, direction, i):
            path = folder / f"{i:05d}-{batch.start:09d}.json"
            path.write_text(batch.to_json(), encoding="utf-8")
            rows.append({"batch": "", "path": str(path)})
        out.append(rows)
    return out


def _connect(ray: Any, options: RayOptions) -> bool:
    return connect(ray, options.address)


def connect(ray: Any, address: str | None) -> bool:
    """Connect to Ray at ``address`` (``None``: start a local instance); whether this call
    started it (and must stop it). Workers get this process's ``XLNER_*`` and ``PYTHONPATH``."""
    if ray.is_initialized():
        return False
    env = {k: v for k, v in os.environ.items() if k.startswith("XLNER_") or k == "PYTHONPATH"}
    address = address or "local"
    try:
        ray.init(
            address=address,
            runtime_env={"env_vars": env} if env else None,
            include_dashboard=False,
            logging_level=logging.ERROR,  # Ray's notices would drown xlner's progress
            log_to_driver=True,
        )
    except (ConnectionError, ValueError, RuntimeError) as e:
        raise XlnerError(f"cannot connect to the Ray cluster at {address}: {e}") from None
    return True


def run_ray(
    sources: Sequence[Source],
    plan: Plan,
    backends: object,
    ctx: Context,
    sink: Sink,
    chunk_size: int,
    show_progress: bool,
    options: RayOptions | None,
) -> None:
    if not isinstance(backends, Stages):
        raise XlnerError("the Ray executor builds its backends from a StageConfig (use Stages)")
    backends.prepare(plan.roles())  # build local models here, not per actor
    ray = _ray()
    options = options or RayOptions()
    started = _connect(ray, options)
    try:
        data_ctx = ray.data.DataContext.get_current()
        data_ctx.execution_options.preserve_order = True
        data_ctx.execution_options.verbose_progress = False
        data_ctx.enable_progress_bars = False
        data_ctx.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
        with ExitStack() as stack:
            root = ctx.memo.root if ctx.memo is not None else Path(tempfile.gettempdir())
            scratch = root / "ray" / uuid.uuid4().hex[:12]
            scratch.mkdir(parents=True)
            stack.callback(shutil.rmtree, scratch, True)
            chunks = _write_chunks(sources, chunk_size, plan.direction, scratch / "input")
            run = _Run(ray, backends.cfg, plan, options)
            steps = plan.steps()
            needs_aligner = any(s.role == "aligner" for s in steps)
            split = split_at_corpus_alignment(steps, backends.aligner) if needs_aligner else None
            extra: list[dict[str, float]] = [{} for _ in sources]
            if split is not None:
                ctx, extra = _corpus_pass(
                    run, sources, chunks, steps, split, ctx, scratch, show_progress
                )
                steps = steps[split:]  # pass 2 goes on from pass 1's batches
            _consume(run, sources, chunks, steps, ctx, sink, extra, show_progress)
    finally:
        if started:
            ray.shutdown()


def _consume(
    run: _Run,
    sources: Sequence[Source],
    chunks: list[list[dict[str, Any]]],
    steps: Sequence[Step],
    ctx: Context,
    sink: Sink,
    extra: list[dict[str, float]],
    show_progress: bool,
) -> None:
    """Pass every chunk of every source through ``steps``; the sink gets them in order
    (``extra``: each source's seconds of a corpus pass)."""
    stream = run.stream([row for rows in chunks for row in rows], steps, ctx)
    for source, rows, seconds in zip(sources, chunks, extra):
        sink.start(source.lang)
        with StageBar(f"{source.lang} (ray)", source.count, show_progress) as bar:
            for _ in rows:
                batch = next(stream)
                sink.add(batch)
                bar.advance(len(batch))
        if seconds:  # the corpus alignments'
            sink.add_seconds(source.lang, seconds)
        sink.finish(source.lang)


def _corpus_pass(
    run: _Run,
    sources: Sequence[Source],
    chunks: list[list[dict[str, Any]]],
    steps: Sequence[Step],
    split: int,
    ctx: Context,
    scratch: Path,
    show_progress: bool,
) -> tuple[Context, list[dict[str, float]]]:
    """Pass 1 on the pools (each chunk file rewritten with its batch), then one alignment task
    per language and aligner step; the context of pass 2 and each source's alignment
    seconds."""
    pre, post = steps[:split], steps[split:]
    passes = [CorpusPass(i, post, scratch / f"corpus-{i}", keep=False) for i in range(len(sources))]
    stream = run.stream([row for rows in chunks for row in rows], pre, ctx)
    for source, rows, cp in zip(sources, chunks, passes):
        with StageBar(f"{source.lang} (pass 1/2, ray)", source.count, show_progress) as bar:
            for row in rows:
                batch = next(stream)
                cp.add(batch)
                Path(row["path"]).write_text(batch.to_json(), encoding="utf-8")
                bar.advance(len(batch))
    root = ctx.memo.root if ctx.memo is not None else scratch
    cache = str(root / "align-corpus")
    po = run.options.pool("aligner")
    task = run.ray.remote(_align_corpus_task).options(**po.remote_args(run.default_cpus(1, 1)))
    refs = {
        (stage, cp.index): task.remote(run.cfg, files, cache)
        for cp in passes
        for stage, files in cp.close().items()
    }
    corpus = dict(ctx.corpus)
    for (stage, index), ref in refs.items():
        path, seconds = run.ray.get(ref)
        corpus[(stage, index)] = path
        passes[index].seconds[stage] = passes[index].seconds.get(stage, 0.0) + seconds
    ctx = replace(ctx, corpus=corpus)
    return ctx, [cp.seconds for cp in passes]
