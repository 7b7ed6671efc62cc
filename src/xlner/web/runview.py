"""A run folder, read-only, as the run browser shows it: the results tables, per language x
method the sentences with gold against prediction, the lost entities, the confidence curve
and reliability. Every path part a request names is checked against the folder's own listing
(``scores/<lang>/<method>.json``): anything else is not found."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from xlner.data import Sentence, Span, filter_spans
from xlner.errors import XlnerError

KINDS = ("missed", "spurious", "wrong_type")


class NotFound(XlnerError):
    """A run file the request named that the folder does not list."""


def _span(s: Span) -> dict[str, Any]:
    score = None if s.score is None else round(float(s.score), 4)
    return {"start": s.start, "end": s.end, "label": s.label, "score": score}


def diff_spans(gold: list[Span], pred: list[Span]) -> list[dict[str, Any]]:
    """Each error of one sentence: ``missed`` (a gold entity no prediction has the words of),
    ``spurious`` (a prediction no gold entity has the words of), ``wrong_type`` (same words,
    another label)."""
    g_exact = {(s.start, s.end, s.label) for s in gold}
    p_exact = {(s.start, s.end, s.label) for s in pred}
    g_words = {(s.start, s.end): s for s in gold if (s.start, s.end, s.label) not in p_exact}
    p_words = {(s.start, s.end): s for s in pred if (s.start, s.end, s.label) not in g_exact}
    out: list[dict[str, Any]] = []
    for key, g in sorted(g_words.items()):
        p = p_words.get(key)
        if p is not None:
            out.append({"kind": "wrong_type", **_span(p), "gold_label": g.label})
        else:
            out.append({"kind": "missed", **_span(g)})
    for key, p in sorted(p_words.items()):
        if key not in g_words:
            out.append({"kind": "spurious", **_span(p)})
    return out


@dataclass
class RunFolder:
    """The run folder ``root``; ``data_dir`` finds the gold of each unit's dataset."""

    root: Path
    data_dir: str | None = None
    _units: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        if not (self.root / "scores").is_dir() and not (self.root / "results.md").is_file():
            raise XlnerError(f"{self.root} is not a run folder (no scores/, no results.md)")

    # ------------------------------------------------------------------ listing

    def listing(self) -> dict[str, list[str]]:
        """language -> the method slugs with a finished unit."""
        out: dict[str, list[str]] = {}
        scores = self.root / "scores"
        if scores.is_dir():
            for d in sorted(p for p in scores.iterdir() if p.is_dir()):
                out[d.name] = sorted(f.stem for f in d.glob("*.json") if f.is_file())
        return out

    def _unit_file(self, kind: str, lang: str, method: str, ext: str) -> Path:
        if method not in self.listing().get(lang, []):
            raise NotFound(f"no unit {lang}/{method} in this run")
        return self.root / kind / lang / f"{method}.{ext}"

    def _run_json(self) -> dict[str, Any]:
        path = self.root / "run.json"
        if not path.is_file():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # ------------------------------------------------------------------ results

    def results(self) -> dict[str, Any]:
        """The signature, results.md's tables, each unit's numbers."""
        md = self.root / "results.md"
        text = md.read_text(encoding="utf-8") if md.is_file() else ""
        units = []
        for lang, methods in self.listing().items():
            for slug in methods:
                unit = json.loads(self._unit_file("scores", lang, slug, "json").read_text())
                overall = (unit.get("scores") or {}).get("overall") or {}
                units.append(
                    {
                        "lang": lang,
                        "slug": slug,
                        "method": unit.get("method", slug),
                        "status": unit.get("status"),
                        "data": unit.get("data", ""),
                        "f1": overall.get("f1"),
                        "precision": overall.get("precision"),
                        "recall": overall.get("recall"),
                        "sentences": unit.get("n_sentences"),
                        "source_entities": unit.get("source_entities"),
                        "lost": unit.get("lost") or {},
                        "seconds": unit.get("seconds") or {},
                    }
                )
        sig = self._run_json().get("signature_text") or _signature_line(text)
        return {
            "root": self.root.name,
            "signature": sig,
            "tables": markdown_tables(text),
            "units": units,
        }

    # ------------------------------------------------------------------ one unit

    def _gold(self, lang: str, data: str) -> list[Sentence]:
        from xlner.datasets import dataset_reader

        name, _, split = data.partition("/")
        sig = self._run_json().get("signature", {})
        limit = sig.get("limit", "-")
        labels = sig.get("labels", "PER,ORG,LOC")
        keep = None if labels in ("all", "*", "") else labels.split(",")
        return [
            s.with_spans(filter_spans(s.spans or [], keep))
            for s in islice(
                dataset_reader(name, lang, split or "test", self.data_dir, allow_hub=False)(),
                int(limit) if str(limit).isdigit() else None,
            )
        ]

    def unit(self, lang: str, method: str) -> dict[str, Any]:
        """Sentences with gold against prediction, curve and reliability (computed once)."""
        key = (lang, method)
        if key in self._units:
            return self._units[key]
        from xlner.evaluate import paired, reliability, threshold_curve
        from xlner.io.conll import read_conll

        info = json.loads(self._unit_file("scores", lang, method, "json").read_text())
        pred_path = self._unit_file("predictions", lang, method, "conll")
        pred = read_conll(pred_path, lang) if pred_path.is_file() else []
        gold: list[Sentence] | None = None
        note = ""
        data = str(info.get("data", ""))
        try:
            gold = self._gold_for(lang, data)
            list(paired(gold, pred))  # same count, same words
        except XlnerError as e:
            gold, note = None, f"the gold of {data or lang} was not found or does not match: {e}"
        sentences = []
        for i, p in enumerate(pred):
            g = gold[i] if gold is not None else None
            diffs = diff_spans(list(g.spans or []), list(p.spans or [])) if g else []
            sentences.append(
                {
                    "index": i,
                    "tokens": p.tokens,
                    "gold": None if g is None else [_span(s) for s in g.spans or []],
                    "pred": [_span(s) for s in p.spans or []],
                    "diffs": diffs,
                    "kinds": sorted({d["kind"] for d in diffs}),
                }
            )
        scored = any(s.score is not None for p in pred for s in p.spans or [])
        curve: list[dict[str, Any]] | None = None
        bins: list[dict[str, Any]] | None = None
        ece = None
        if gold is not None and scored:
            curve = [
                {"threshold": c.threshold, **asdict(c.scores.overall)}
                for c in threshold_curve(gold, pred, labels=None)
            ]
            rb, ece = reliability(gold, pred, labels=None)
            bins = [b.to_dict() for b in rb]
        elif not scored:
            note = (note + " " if note else "") + (
                "the predictions have no confidence column (run with --scores): "
                "no confidence curve or reliability plot"
            )
        out = {
            "lang": lang,
            "method": info.get("method", method),
            "data": data,
            "gold_found": gold is not None,
            "note": note,
            "sentences": sentences,
            "curve": curve,
            "reliability": bins,
            "ece": ece,
        }
        self._units[key] = out
        return out

    def _gold_for(self, lang: str, data: str) -> list[Sentence]:
        if not data:
            raise XlnerError("the unit names no dataset")
        return self._gold(lang, data)

    def sentences(
        self, lang: str, method: str, kind: str = "all", offset: int = 0, limit: int = 200
    ) -> dict[str, Any]:
        """One page of a unit's sentences, those with an error of ``kind`` (``errors``: any)."""
        unit = self.unit(lang, method)
        rows = unit["sentences"]
        if kind == "errors":
            rows = [r for r in rows if r["kinds"]]
        elif kind in KINDS:
            rows = [r for r in rows if kind in r["kinds"]]
        elif kind != "all":
            raise NotFound(f"no kind {kind!r}: choose all, errors, {', '.join(KINDS)}")
        counts = {k: sum(k in r["kinds"] for r in unit["sentences"]) for k in KINDS}
        return {
            **{k: v for k, v in unit.items() if k != "sentences"},
            "kind": kind,
            "total": len(rows),
            "counts": counts,
            "offset": offset,
            "sentences": rows[offset : offset + limit],
        }

    def lost(self, lang: str, method: str) -> dict[str, Any]:
        """The lost entities of a projection unit, by reason, with sentence and translation."""
        path = self._unit_file("lost", lang, method, "jsonl")
        records = []
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                records = [json.loads(line) for line in fh if line.strip()]
        by_reason: dict[str, int] = {}
        for r in records:
            for e in r.get("lost", []):
                by_reason[e["reason"]] = by_reason.get(e["reason"], 0) + 1
        return {"lang": lang, "method": method, "by_reason": by_reason, "sentences": records}


def _signature_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Signature:"):
            return line.split(":", 1)[1].strip().strip("`")
    return ""


def markdown_tables(text: str) -> list[dict[str, Any]]:
    """The pipe tables of a markdown text: header and rows of cells (text, never markup)."""
    tables: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip().strip("*").replace("`", "") for c in s[1:-1].split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif rows:
            tables.append({"header": rows[0], "rows": rows[1:]})
            rows = []
    return tables
