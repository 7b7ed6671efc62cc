"""Same input, command and versions give byte-identical outputs; caches hold data, never code."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
from pathlib import Path

import pytest

from xlner.cli import main

needs_offline = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="Apertium not installed (apt-get install apertium)"
)
# the README's main command (./quickstart run), on the first 60 sentences of each language
README_MAIN = ["run", "--dataset", "conll02-es,panx:eu,sli-nerc:gl,uner:hr", "--preset", "offline"]
README_MAIN += ["--methods", "model-transfer,model-transfer:en,heuristic,ngram,ner"]
README_MAIN += ["--limit", "60", "--quiet"]


def _files(out: Path) -> dict[str, bytes]:
    keep = ("predictions", "lost", "scores")
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0] in keep
    }


def _scores_without_seconds(files: dict[str, bytes]) -> dict[str, bytes]:
    import json

    out = {}
    for k, v in files.items():
        if k.startswith("scores/"):
            doc = json.loads(v)
            doc.pop("seconds")
            v = json.dumps(doc).encode()
        out[k] = v
    return out


@pytest.mark.slow
@needs_offline
def test_readme_main_command_twice_is_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ner_en: Path
) -> None:
    from xlner.translate.apertium import ApertiumTranslator, resolve_mode

    modes = ApertiumTranslator().modes
    missing = [x for x in ("es", "eu", "gl", "hr") if resolve_mode(modes, x, "en") is None]
    if missing:
        pytest.skip(f"no Apertium pair for {missing} (./quickstart installs them)")
    runs = []
    for i in range(2):  # fresh caches each time: nothing is shared between the two runs
        monkeypatch.setenv("XLNER_CACHE", str(tmp_path / f"cache{i}"))
        out = tmp_path / f"run{i}"
        # the fine-tuned tagger is built once (its own build is not what this test checks)
        assert main([*README_MAIN, "--mt-tagger", f"hf:{ner_en}", "--out", str(out)]) == 0
        runs.append(_files(out))
    # 4 languages x (5 predictions + 3 lost-entity files + 5 scores)
    assert runs[0].keys() == runs[1].keys() and len(runs[0]) == 4 * (5 + 3 + 5)
    assert _scores_without_seconds(runs[0]) == _scores_without_seconds(runs[1])
    assert (tmp_path / "run0" / "results.csv").read_text() == (
        tmp_path / "run1" / "results.csv"
    ).read_text()


class _Evil:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_is_never_executed(plugin: Path, tmp_path: Path) -> None:
    """Fill a run's stage cache, replace every entry with a malicious pickle (raw and
    gzipped), and resume: the cache misses, recomputes the same results, and runs no code."""
    from xlner.data import Sentence, Span
    from xlner.io import write_conll

    gold = [Sentence(["Bola", "Tinubu", "ya", "tafi", "Abuja", "."], [Span(0, 2, "PER")], "hau")]
    write_conll(gold * 3, tmp_path / "data" / "masakhaner2" / "hau" / "test.txt")
    out = tmp_path / "run"
    args = [
        "run",
        "--dataset",
        "masakhaner2",
        "--langs",
        "hau",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    args += ["--methods", "model-transfer,ngram", "--translator", "echo", "--tagger", "caps"]
    args += ["--aligner", "diag", "--out", str(out), "--quiet"]
    assert main(args) == 0
    first = _files(out)
    entries = [p for p in (out / "cache").rglob("*") if p.is_file()]
    assert entries, "the run cached its stages"
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(marker))
    for i, p in enumerate(entries):
        p.write_bytes(gzip.compress(payload) if i % 2 else payload)
        p.with_suffix(".pkl").write_bytes(payload)
    for unit in (out / "scores").rglob("*.json"):
        unit.unlink()
    assert main(args) == 0
    assert not marker.exists()
    assert _scores_without_seconds(_files(out)) == _scores_without_seconds(first)
