"""The bench JSON of ``xlner bench pipeline`` (``bench.json``; the shipped
``resources/bench-*.json``) as dataclasses, with its one reader (:func:`read_bench`,
:func:`bench_from_json`) and its one writer (:func:`write_bench`).

The sections the cost model, its checks and ``xlner plan`` read are typed here; the rest of
the file (throughput, scaling, translation backends: what bench.md shows) is kept as read in
:attr:`BenchReport.data`, so a report is written back as it came. ``schema_version`` is
written inside; a file without one is version 1 (the shipped examples).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from xlner.errors import XlnerError

#: The version written by this xlner; a file without one is version 1.
SCHEMA_VERSION = 1

T = TypeVar("T")


@dataclass(frozen=True)
class MethodStages:
    """The timed stages a method runs and the backend roles it loads."""

    stages: list[str]
    roles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    """One timed run of the cost model: sentences per language, seconds per stage."""

    sentences_per_language: list[float]
    stage_seconds: dict[str, float]
    holdout: bool = False
    langs: list[str] = field(default_factory=list)  # a bench of real languages: which
    words_per_language: list[float] | None = None  # then stages are fitted per word
    squared_words_per_language: list[float] | None = None
    # subword tokens of the model-transfer tagger's tokenizer (an HF tagger), per language
    subwords_per_language: list[float] | None = None


@dataclass(frozen=True)
class CostPoints:
    methods: dict[str, MethodStages]
    rows: list[Run]


@dataclass(frozen=True)
class Slice:
    """translate-train's data stages timed on ``sentences`` English sentences."""

    sentences: int
    stage_seconds: dict[str, float]
    holdout: bool = False


@dataclass(frozen=True)
class FinetuneRun:
    steps: int
    seconds: float
    holdout: bool = False


@dataclass(frozen=True)
class Finetune:
    epochs: float
    batch_size: int
    items_per_sentence: float
    runs: list[FinetuneRun]


@dataclass(frozen=True)
class InferenceRow:
    """The tuned tagger's pass over ``sentences`` sentences."""

    sentences: int
    seconds: float
    holdout: bool = False


@dataclass(frozen=True)
class Inference:
    rows: list[InferenceRow]
    load_seconds: float = 0.0


@dataclass(frozen=True)
class TranslateTrain:
    methods: dict[str, MethodStages]
    train_size: int
    slices: list[Slice]
    finetune: Finetune
    inference: Inference


@dataclass(frozen=True)
class Check:
    """One held-back run predicted by the fit on the others."""

    run: str
    method: str
    measured_s: float
    predicted_s: float
    error: float | None
    language: str | None = None  # leave-one-language-out: the language held back
    per_sentence_error: float | None = None  # ... and the error of the per-sentence fit
    # ... and the error when the MT stages come from the held-back language's own pair (a
    # language's MT system is its own program: Apertium pairs differ 4.9x in cost per word)
    own_pair_error: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("run", "method", "measured_s", "predicted_s")}
        out["error"] = self.error
        if self.language is not None:
            out |= {"language": self.language, "per_sentence_error": self.per_sentence_error}
            out["own_pair_error"] = self.own_pair_error
        return out


@dataclass(frozen=True)
class Validation:
    """How well the cost model predicted runs it did not see (``languages``: each language
    held back in turn -> the languages its fit was made from)."""

    rows: list[Check]
    max_abs_error: float | None
    floor: float
    languages: dict[str, list[str]] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.languages is None else {"languages": self.languages}
        rows = [r.to_json() for r in self.rows]
        return out | {"rows": rows, "max_abs_error": self.max_abs_error, "floor": self.floor}


@dataclass(frozen=True)
class Machine:
    cpu: str | None = None
    cores: int | None = None
    gpu: str | None = None


@dataclass(frozen=True)
class BenchConfigInfo:
    """What the bench was asked for (the part read back)."""

    usd_per_hour: float = 0.0
    langs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StageSpecs:
    """The backends the bench ran."""

    translator: str | None = None
    tagger: str | None = None
    aligner: str | None = None


@dataclass(frozen=True)
class BenchReport:
    cost_points: CostPoints
    schema_version: int = SCHEMA_VERSION
    date: str | None = None
    command: str | None = None
    machine: Machine = field(default_factory=Machine)
    config: BenchConfigInfo = field(default_factory=BenchConfigInfo)
    stages: StageSpecs = field(default_factory=StageSpecs)
    role_load_seconds: dict[str, float] = field(default_factory=dict)
    role_backends: dict[str, str] = field(default_factory=dict)
    translate_train: TranslateTrain | None = None  # None: not measured, or skipped
    validation: Validation | None = None
    validation_languages: Validation | None = None
    #: the whole file as read (what only bench.md reads), written back by :func:`write_bench`
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def translate_train_skipped(self) -> str | None:
        """Why translate-train was not measured (a translator without the pair), if so."""
        tt = self.data.get("translate_train")
        return str(tt["skipped"]) if isinstance(tt, dict) and tt.get("skipped") else None

    def to_json(self) -> dict[str, Any]:
        out = {"schema_version": self.schema_version, **self.data}
        for key in ("validation", "validation_languages"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v.to_json()
        return out


# --------------------------------------------------------------------------- reading


def _value(kind: Any, x: Any, where: str) -> Any:
    """``x`` as the annotated ``kind`` (a dataclass, list, dict, union or scalar)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if x is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(inner, x, where)
    if dataclasses.is_dataclass(kind):
        return _record(typing.cast(type, kind), x, where)
    if origin is list:
        if not isinstance(x, list):
            raise ValueError(f"{where} is not a list")
        return [_value(args[0], v, f"{where}[{i}]") for i, v in enumerate(x)]
    if origin in (dict, Mapping):
        if not isinstance(x, dict):
            raise ValueError(f"{where} is not an object")
        return {str(k): _value(args[1], v, f"{where}.{k}") for k, v in x.items()}
    if kind is float and isinstance(x, int | float) and not isinstance(x, bool):
        return float(x)
    if kind is Any or (isinstance(kind, type) and isinstance(x, kind)):
        return x
    raise ValueError(f"{where} is {json.dumps(x)[:40]}, not {getattr(kind, '__name__', kind)}")


def _record(cls: type[T], x: Any, where: str) -> T:
    if not isinstance(x, dict):
        raise ValueError(f"{where} is not an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "data":
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if x.get(f.name) is not None or (required and f.name in x):
            values[f.name] = _value(hints[f.name], x[f.name], f"{where}.{f.name}")
        elif required:
            raise ValueError(f"{where} has no {f.name!r}")
    return cls(**values)


def bench_from_json(data: Mapping[str, Any], where: str = "the bench JSON") -> BenchReport:
    """The :class:`BenchReport` of a parsed bench JSON; a file of another version, or one
    without what the cost model reads, is a one-line error naming ``where``."""
    if not isinstance(data, dict) or "cost_points" not in data:
        raise XlnerError(
            f"{where}: not a bench JSON with the cost model's runs (no 'cost_points'); make one "
            "with `xlner bench pipeline` (this xlner version)"
        )
    version = data.get("schema_version", 1)
    if version != SCHEMA_VERSION:
        raise XlnerError(
            f"{where}: bench JSON schema version {version}, this xlner reads version "
            f"{SCHEMA_VERSION}; re-run `xlner bench pipeline` with this xlner version"
        )
    body = dict(data)
    tt = body.get("translate_train")
    if isinstance(tt, dict) and tt.get("skipped"):  # why it was not measured: no runs
        body["translate_train"] = None
    try:
        report = _record(BenchReport, body, "bench")
    except ValueError as e:
        raise XlnerError(f"{where}: malformed bench JSON ({e})") from None
    return dataclasses.replace(report, schema_version=version, data=data)


def as_bench(bench: BenchReport | Mapping[str, Any]) -> BenchReport:
    """``bench`` read by :func:`bench_from_json` unless it is a report already."""
    return bench if isinstance(bench, BenchReport) else bench_from_json(bench)


def read_bench(text: str, where: str) -> BenchReport:
    """The bench JSON ``text`` (read from ``where``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise XlnerError(f"{where}: not a JSON file ({e.msg}, line {e.lineno})") from None
    return bench_from_json(data, where)


# --------------------------------------------------------------------------- writing


def write_bench(path: Path, report: BenchReport | Mapping[str, Any]) -> BenchReport:
    """Write ``report`` (or the dict of a bench's measurements, checked by reading it) to
    ``path`` with its schema version; the report written."""
    from xlner.io.atomic import atomic_write_text

    if not isinstance(report, BenchReport):
        report = bench_from_json({"schema_version": SCHEMA_VERSION, **report}, str(path))
    bench = report
    atomic_write_text(path, json.dumps(bench.to_json(), indent=1, default=float))
    return bench
