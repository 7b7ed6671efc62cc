"""Real languages in ``xlner bench pipeline --datasets``: each language's sentences from its own
dataset (``conll02-es,panx:eu,sli-nerc:gl,uner:hr``), the cost model's runs on them, and the
per-language figures of the result (markdown and a plot).

Nothing here knows which languages exist: any language of a dataset present locally whose
translator covers it (e.g. an installed Apertium pair into English) can be benchmarked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.schema import Validation
from xlner.data import Sentence
from xlner.errors import XlnerError

#: One language of a run: (its code, its sentences).
Corpus = tuple[str, list[Sentence]]


def parse_datasets(text: str, data_dir: str | None = None) -> list[tuple[str, str]]:
    """``conll02-es,panx:eu`` -> ``[("conll02-es", "es"), ("panx", "eu")]``: ``DATASET:LANG``
    per language (``DATASET`` alone: every language of it present); the one parser of
    ``xlner run --dataset``."""
    from xlner.datasets import parse_dataset_languages

    return parse_dataset_languages(text, "all", data_dir)


def load_pools(
    datasets: Sequence[tuple[str, str]], split: str, data_dir: str | None
) -> dict[str, list[Sentence]]:
    """Every sentence of each language's split (its cost runs take prefixes of them)."""
    from xlner.datasets import load_dataset

    return {lang: load_dataset(name, lang, split, data_dir) for name, lang in datasets}


def check_pairs(translator: Any, langs: Sequence[str], back: bool) -> None:
    """Fail before any timing when the translator lacks a language's pair (and, with
    back-translation, the pair back)."""
    from xlner.translate.base import check_directions

    for lang in langs:
        check_directions(translator, lang, back)


def real_corpora(pools: Mapping[str, list[Sentence]], point: tuple[int, int]) -> list[list[Corpus]]:
    """The runs of one cost point on real languages: ``1xN`` is one run per language (its
    first N sentences); ``LxN`` one run of the first L languages together (cycled when L
    exceeds them; a language repeated takes its next N sentences)."""
    n_langs, n = point
    langs = list(pools)
    if n_langs == 1:
        runs = [[(lang, pools[lang][:n])] for lang in langs]
    else:
        run: list[Corpus] = []
        for i in range(n_langs):
            lang = langs[i % len(langs)]
            k = i // len(langs)
            run.append((lang, pools[lang][k * n : (k + 1) * n]))
        runs = [run]
    for corpora in runs:
        for lang, sents in corpora:
            if len(sents) < n:
                raise XlnerError(
                    f"cost point {n_langs}x{n}: {lang} has only {len(pools[lang])} sentences"
                )
    return runs


def language_info(
    datasets: Sequence[tuple[str, str]], split: str, pools: Mapping[str, list[Sentence]]
) -> dict[str, dict[str, Any]]:
    """Per language: where its sentences come from, how many and how long they are."""
    out = {}
    for name, lang in datasets:
        sents = pools[lang]
        words = sum(len(s.tokens) for s in sents)
        out[lang] = {
            "dataset": name,
            "split": split,
            "sentences": len(sents),
            "words_per_sentence": words / len(sents) if sents else 0.0,
        }
    return out


# --------------------------------------------------------------------------- report


def per_language_costs(r: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Each language's fitted seconds per 1,000 sentences of each method (at 1,000)."""
    from xlner.bench.costmodel import fit_languages

    return {
        lang: {m.label: m.tagging_seconds(1000) for m in model.methods}
        for lang, model in fit_languages(r).items()
    }


def format_languages(r: Mapping[str, Any]) -> list[str]:
    """Markdown: per language each stage's and method's fitted cost, per 1,000 sentences and
    per 1,000 words (at 1,000 sentences), then the leave-one-language-out check."""
    from xlner.bench.costcheck import leave_one_language_out
    from xlner.bench.costmodel import fit_languages

    models = fit_languages(r)
    if len(models) < 2:
        return []
    first = next(iter(models.values()))
    stages = sorted({s for m in first.methods for s in m.stages})
    cols = [*stages, *(m.label.removeprefix("translate-test ") for m in first.methods)]
    lines = [
        "Per language, fitted on its own runs: seconds per 1,000 sentences at 1,000 sentences "
        "(per 1,000 words in brackets), per stage and per method:",
        "",
        "| language | words / sent. | " + " | ".join(cols) + " |",
        "|---|---:|" + "---:|" * len(cols),
    ]
    for lang, model in models.items():
        fits = {s: f for m in model.methods for s, f in m.stages.items()}
        secs = [fits[s].seconds(1000) for s in stages]
        secs += [m.tagging_seconds(1000) for m in model.methods]
        wps = model.words_per_sentence or 1.0
        cells = [f"{x:.2f} ({x / wps:.3f})" for x in secs]
        lines.append(f"| {lang} | {wps:.1f} | " + " | ".join(cells) + " |")
    lines += ["", *format_loo(leave_one_language_out(r))]
    return lines


def format_loo(v: Validation) -> list[str]:
    """The held-back-language table: largest error per method and language, strictly (every
    stage from the other languages), with the language's own MT pair, and per sentence."""
    langs = list(v.languages or {})
    methods = list(dict.fromkeys(x.method for x in v.rows))
    lines = [
        "Each language held back, predicted from the pooled fit of the other languages "
        "(largest error over its runs): every stage from the others / the MT stages from "
        "the language's own pair, the others from the other languages / [every stage from "
        "the others, per sentence instead of per word]:",
        "",
        "| method | " + " | ".join(langs) + " |",
        "|---|" + "---:|" * len(langs),
    ]

    def worst(rows: list[Any], attr: str) -> float:
        return max((getattr(x, attr) or 0.0 for x in rows), key=abs, default=0.0)

    for m in methods:
        cells = []
        for lang in langs:
            got = [x for x in v.rows if x.method == m and x.language == lang]
            cells.append(
                f"{100 * worst(got, 'error'):+.1f}% / {100 * worst(got, 'own_pair_error'):+.1f}% "
                f"[{100 * worst(got, 'per_sentence_error'):+.0f}%]"
            )
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    top = 100 * (v.max_abs_error or 0.0)
    paired = 100 * abs(worst(v.rows, "own_pair_error"))
    lines.append(
        f"Largest error: {top:.1f}%; with each language's own MT pair: {paired:.1f}% "
        f"(floor {100 * v.floor:.0f}%)."
    )
    return lines


def plot_languages(r: Mapping[str, Any], out: Path) -> Path | None:
    """Each language's fitted seconds per 1,000 sentences, per method (grouped bars)."""
    import numpy as np

    from xlner.plots import pyplot, save

    costs = per_language_costs(r)
    if len(costs) < 2:
        return None
    plt = pyplot()
    langs = list(costs)
    methods = list(next(iter(costs.values())))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(methods)
    x = np.arange(len(langs))
    for i, m in enumerate(methods):
        ax.bar(x + i * width, [costs[lang][m] for lang in langs], width, label=m)
    info = r.get("languages", {})
    ax.set_xticks(
        x + width * (len(methods) - 1) / 2,
        [f"{lang} ({info.get(lang, {}).get('words_per_sentence', 0):.0f} w/s)" for lang in langs],
    )
    ax.set_ylabel("seconds per 1,000 sentences (fitted, at 1,000)")
    ax.set_title("Cost per language and method (words per sentence in brackets)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, out / "languages-cost.png")
