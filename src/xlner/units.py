"""The units of ``xlner run`` and their files: a target (one language of one dataset), a
language x method's result (``scores/<lang>/<method>.json``, written last: its presence marks
the unit done), the sink that writes every unit's predictions, lost entities and scores as its
batches arrive, and the checks a resumed run makes (``run.json``, a finished unit's
signature). The run itself: :mod:`xlner.runner`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from xlner.batch import Batch
from xlner.errors import XlnerError
from xlner.evaluate import ScoreCounter
from xlner.io.atomic import atomic_open, atomic_write_text
from xlner.io.formats import SentenceWriter
from xlner.lost import write_lost
from xlner.methods import Method
from xlner.signature import Signature, differences, format_signature
from xlner.steps import Plan

if TYPE_CHECKING:
    from xlner.runner import RunConfig

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


def say(cfg: RunConfig, text: str) -> None:
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
    """Writes every unit of every language as its batches arrive: predictions (with a
    confidence column for ``--scores``), lost entities, then the unit's scores."""

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
            say(self.cfg, f"[{lang}] {m.name}: F1 {f1:.4f} ({total:.1f} s, {self.n} sentences)")


def check_run(cfg: RunConfig, signature: Signature) -> None:
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


def done_unit(path: Path, signature: Signature) -> UnitResult:
    unit = UnitResult.load(path)
    diff = differences(unit.signature, signature)
    if diff:
        raise XlnerError(
            f"{path} was computed with another configuration ({'; '.join(diff)}); "
            "delete it to recompute it, or use a new --out folder"
        )
    return unit
