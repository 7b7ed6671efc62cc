"""``xlner plan``: for a user's languages, sentences per language and hardware (a bench JSON
measured on it), each method's total time and price, the break-even volume at which
translate-train becomes cheaper than translate-test, and the quality each method reached.

Reads a bench JSON only: no model loads and no torch import (numpy, and matplotlib for the
PNG), so it answers in seconds (each language of a bench of several is held back and
refitted to check the fit). The costs come from
:mod:`xlner.bench.costmodel`; the quality from :mod:`xlner.quality`. This module reads the
inputs and computes the plan; :mod:`xlner.plan_output` writes it as text or JSON and
:func:`xlner.plots.plot_plan` draws it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from xlner.bench.breakeven import break_even, counterpart
from xlner.bench.costcheck import leave_one_language_out, validate
from xlner.bench.costmodel import (
    TRANSLATE_TEST,
    TRANSLATE_TRAIN,
    CostModel,
    MethodCost,
    bench_languages,
    fit_bench,
    fit_languages,
    mix,
)
from xlner.bench.schema import BenchReport, Validation, as_bench, read_bench
from xlner.errors import XlnerError
from xlner.quality import SETUPS, Quality, iso3, our_quality, paper_quality

#: Bench JSONs shipped with xlner, measured on its development machine (2 CPU cores).
EXAMPLES = {
    "cpu-2core-offline": "bench-cpu-2core-offline.json",
    "cpu-2core-arch": "bench-cpu-2core-arch.json",
    "cpu-2core-langs": "bench-cpu-2core-langs.json",
}


# --------------------------------------------------------------------------- inputs


def load_bench(spec: str) -> tuple[BenchReport, str]:
    """A bench JSON from a path or the name of a shipped example; and its display name."""
    if spec in EXAMPLES:
        text = resources.files("xlner.resources").joinpath(EXAMPLES[spec]).read_text("utf-8")
        where = f"{spec} (shipped example)"
    else:
        path = Path(spec)
        if not path.is_file():
            names = ", ".join(EXAMPLES)
            raise XlnerError(
                f"bench JSON {spec} not found; give the bench.json written by `xlner bench "
                f"pipeline --out DIR`, or a shipped example: {names}"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise XlnerError(f"cannot read {spec}: {e}") from None
        where = str(path)
    return read_bench(text, where), where


def parse_languages(text: str) -> tuple[int, list[str]]:
    """``40`` -> (40, []); ``hau,yor`` -> (2, ["hau", "yor"]) (checked ISO/NLLB codes)."""
    from xlner.languages import get_language

    text = text.strip()
    if text.lstrip("+-").isdigit():
        n = int(text)
        if n < 1:
            raise XlnerError(f"--langs: the number of languages must be at least 1, got {n}")
        return n, []
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise XlnerError("--langs: give a number of languages or comma-separated codes")
    for c in codes:
        get_language(c, require_nllb=True)
    if len(set(codes)) != len(codes):
        raise XlnerError(f"--langs lists a language twice: {text}")
    return len(codes), codes


# --------------------------------------------------------------------------- languages


@dataclass(frozen=True)
class LanguageCost:
    """Where one requested language's cost comes from."""

    code: str
    measured: str | None  # the bench language whose own runs give its cost; None: extrapolated
    model: CostModel

    @property
    def words_per_sentence(self) -> float:
        return self.model.words_per_sentence


def language_costs(
    bench: BenchReport, pooled: CostModel, codes: Sequence[str]
) -> list[LanguageCost]:
    """Each code's cost model: the bench language's own fit where the bench timed that
    language (matched by ISO 639-3), else ``pooled`` (the fit over all its languages)."""
    own = fit_languages(bench)
    by_iso: dict[str, str] = {}
    for name in own:
        with contextlib.suppress(XlnerError):
            by_iso[iso3(name)] = name
    out = []
    for code in codes:
        lang = by_iso.get(iso3(code))
        out.append(LanguageCost(code, lang, own[lang] if lang else pooled))
    return out


def _pooled(bench: BenchReport, words_per_sentence: float | None) -> CostModel:
    model = fit_bench(bench)
    if words_per_sentence is None:
        return model
    if words_per_sentence <= 0:
        raise XlnerError(f"--words-per-sentence must be positive, got {words_per_sentence}")
    return model.with_length(words_per_sentence)


# --------------------------------------------------------------------------- the plan


@dataclass
class MethodPlan:
    method: MethodCost
    seconds: float
    usd: float | None
    once_s: float  # per language
    per_1000_s: float  # tagging, per 1,000 sentences at the requested volume
    paper: Quality | None
    ours: Quality | None


@dataclass
class CostPlan:
    languages: int
    codes: list[str]
    sentences: int
    usd_per_hour: float
    bench_name: str
    bench: BenchReport
    model: CostModel
    rows: list[MethodPlan]
    #: (translate-test method, translate-train method, break-even sentences per language)
    break_even: list[tuple[MethodCost, MethodCost, float | None]]
    validation: Validation
    setup: str
    notes: list[str] = field(default_factory=list)
    #: per requested code, measured or extrapolated (empty for a count of languages)
    per_language: list[LanguageCost] = field(default_factory=list)
    pooled: CostModel | None = None  # what unmeasured languages cost
    bench_languages: list[str] = field(default_factory=list)
    #: each language of the bench held back and predicted (a bench of two or more languages)
    validation_languages: Validation | None = None

    @property
    def extrapolated(self) -> list[str]:
        return [x.code for x in self.per_language if x.measured is None]

    def cheapest(self) -> MethodPlan:
        return min(self.rows, key=lambda r: r.seconds)


def make_plan(
    bench: BenchReport | Mapping[str, Any],
    bench_name: str,
    langs: str,
    sentences: int,
    usd_per_hour: float | None = None,
    setup: str = "e5-small",
    words_per_sentence: float | None = None,
) -> CostPlan:
    """Each method's cost for ``langs`` (a count or codes) of ``sentences`` sentences: a
    language the bench timed costs what its own runs say, any other what the fit over all
    the bench's runs says (at ``words_per_sentence`` words per sentence, when fitted per
    word; default: the bench's mean)."""
    if sentences < 1:
        raise XlnerError(f"--sentences must be at least 1, got {sentences}")
    if usd_per_hour is not None and usd_per_hour < 0:
        raise XlnerError(f"--usd-per-hour must not be negative, got {usd_per_hour}")
    if setup not in SETUPS:
        raise XlnerError(f"unknown setup {setup!r}; choose one of: {', '.join(SETUPS)}")
    n_langs, codes = parse_languages(langs)
    bench = as_bench(bench)
    try:
        pooled = _pooled(bench, words_per_sentence)
        per_language = language_costs(bench, pooled, codes)
        model = mix([x.model for x in per_language]) if per_language else pooled
        # checked with this xlner's cost model (the bench JSON's own checks are those of the
        # xlner that wrote it)
        validation = validate(bench)
        timed = bench_languages(bench)
        loo = leave_one_language_out(bench, per_sentence=False) if len(timed) >= 2 else None
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise XlnerError(f"{bench_name}: malformed bench JSON ({type(e).__name__}: {e})") from None
    price = model.usd_per_hour if usd_per_hour is None else usd_per_hour
    rows = []
    for m in model.methods:
        total = m.seconds(n_langs, sentences)
        tagging = m.tagging_seconds(sentences)
        rows.append(
            MethodPlan(
                m,
                total,
                price * total / 3600 if price else None,
                m.once_seconds,
                1000 * tagging / sentences,
                paper_quality(m, codes),
                our_quality(m, codes, setup),
            )
        )
    trt = model.family(TRANSLATE_TRAIN)
    pairs = []
    for tt in model.family(TRANSLATE_TEST):
        other = counterpart(tt, trt)
        if other is not None:
            pairs.append((tt, other, break_even(other, tt, n_langs)))
    return CostPlan(
        n_langs,
        codes,
        sentences,
        price,
        bench_name,
        bench,
        model,
        rows,
        pairs,
        validation,
        setup,
        list(model.notes),
        per_language,
        pooled,
        timed,
        loo,
    )
