"""``--runtime auto`` by measurement on the user's machine.

The first time an encoder runs with ``--runtime auto`` on a device, every candidate runtime
(:func:`candidates`) is loaded, checked against PyTorch fp32 on the calibration sets of
:mod:`xlner.models.calibration` and timed on them; the fastest that passes the checks is kept.
The choice is cached in ``$XLNER_CACHE/runtimes.json`` (sealed; damaged: one warning and a new
measurement), keyed by the device's model, the libraries' versions, the model's fingerprint,
the task (and layer) and the calibration set, so a new machine, library or model measures
again. ``xlner runtimes`` lists the cache and re-measures on request; ``--runtime NAME`` still
pins one runtime; ``XLNER_RUNTIME_AUTO=rule`` uses the fixed rule of
:func:`xlner.models.runtime.default_runtime` instead (no measurement; the test suite does so
where it compares outputs).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from xlner.errors import XlnerError
from xlner.models.runtime import PRECISIONS, Runtime, Task, cpu_has_bf16, has_ctranslate2

MODE_ENV = "XLNER_RUNTIME_AUTO"
MODES = ("measure", "rule")
#: Bumped when the checks or the calibration change: older choices are measured again.
CHECKS_VERSION = 1
STORE_FILE = "runtimes.json"
LIBRARIES = ("torch", "transformers", "ctranslate2", "onnxruntime", "onnx")
#: Timed calls per candidate after the warm-up call (the best one counts).
REPEATS = 2

Prepared = Callable[[], Any]


def auto_mode() -> str:
    mode = os.environ.get(MODE_ENV, "measure").strip().lower() or "measure"
    if mode not in MODES:
        raise XlnerError(f"{MODE_ENV}={mode!r}; choose one of: {', '.join(MODES)}")
    return mode


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def candidates(device: str, family: str | None) -> list[Runtime]:
    """The runtimes worth timing for a model of ``family`` on ``device`` (fp32 PyTorch first:
    the reference every other one is judged against)."""
    from xlner.models.runtime import CT2_FAMILIES

    ct2 = has_ctranslate2() and (family is None or family in CT2_FAMILIES)
    if device.startswith("cpu"):
        out = [Runtime("torch")]
        if cpu_has_bf16():
            out.append(Runtime("torch", "bf16"))
        if ct2:
            out += [Runtime("ct2"), Runtime("ct2", "int8")]
        if _has("onnxruntime") and _has("onnx"):
            out += [Runtime("onnx"), Runtime("onnx", "int8")]
        return out
    out = [Runtime("torch"), Runtime("torch", "bf16"), Runtime("torch", "fp16")]
    if ct2:
        out += [Runtime("ct2", "fp16"), Runtime("ct2", "int8")]
    return [r for r in out if r.precision in PRECISIONS[r.engine]]


def device_model(device: str) -> str:
    """The device as a choice depends on it: the CPU's model name, its bf16/AMX/VNNI support and
    the threads PyTorch uses; or the GPU's name."""
    if not device.startswith("cpu"):
        try:
            import torch

            return str(torch.cuda.get_device_name(torch.device(device)))
        except Exception:  # no torch or no such GPU: the name is enough
            return device
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    marks = [f for f in ("avx512_bf16", "amx_tile", "avx512_vnni", "avx2") if f in flags]
    from xlner.models.loading import cpu_threads

    return f"{name} [{','.join(marks)}] threads={cpu_threads()}"


def library_versions() -> dict[str, str]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "-"
    return out


def model_fingerprint(model: str) -> str:
    """Names, sizes and the first MiB of a local model folder's files, hashed (a hub name that
    is not a folder: the name)."""
    path = Path(model)
    if not path.is_dir():
        return model
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(path).as_posix()}|{f.stat().st_size}\n".encode())
        with f.open("rb") as fh:
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


@dataclass
class Trial:
    runtime: str
    seconds: float | None  # the best timed call over the calibration set; None: failed
    passed: bool
    why: str  # "reference", "passes", or what failed
    quality: dict[str, float] = field(default_factory=dict)


@dataclass
class Choice:
    key: str
    runtime: str
    task: str
    model: str
    layer: int | None
    device: str
    versions: dict[str, str]
    calibration: str
    trials: list[Trial]
    measured_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Choice:
        trials = [Trial(**t) for t in d["trials"]]
        return cls(**{**d, "trials": trials})


def choice_key(task: Task, model: str, layer: int | None, device: str, calibration: str) -> str:
    parts = {
        "checks": CHECKS_VERSION,
        "task": task,
        "model": model_fingerprint(model),
        "layer": layer,
        "device": device_model(device),
        "versions": library_versions(),
        "calibration": calibration,
        "python": sys.version_info[:2],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


class ChoiceStore:
    """The cached choices: one JSON file, sealed, replaced atomically."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from xlner.models.loading import cache_dir

            path = cache_dir() / STORE_FILE
        self.path = path

    def load(self) -> dict[str, Choice]:
        from xlner.io.integrity import unseal_bytes, warn

        if not self.path.is_file():
            return {}
        payload = unseal_bytes(self.path.read_bytes())
        try:
            if payload is None:
                raise ValueError("seal")
            return {k: Choice.from_dict(v) for k, v in json.loads(payload).items()}
        except (ValueError, KeyError, TypeError):
            warn(self.path, "damaged runtime choices; removed, runtimes will be measured again")
            self.path.unlink(missing_ok=True)
            return {}

    def save(self, choices: dict[str, Choice]) -> None:
        from xlner.io.atomic import atomic_open, make_folder
        from xlner.io.integrity import seal_bytes

        make_folder(self.path.parent)
        doc = {k: c.to_dict() for k, c in sorted(choices.items())}
        with atomic_open(self.path, "wb", encoding=None) as fh:
            fh.write(seal_bytes(json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")))

    def get(self, key: str) -> Choice | None:
        return self.load().get(key)

    def put(self, choice: Choice) -> None:
        choices = self.load()
        choices[choice.key] = choice
        self.save(choices)


def _say(message: str) -> None:
    print(f"xlner: {message}", file=sys.stderr, flush=True)


def _timed(run: Prepared) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _best_times(runs: dict[str, Prepared]) -> dict[str, float]:
    """The best of :data:`REPEATS` calls of each, in interleaved rounds, so a burst of load
    from elsewhere slows every runtime alike instead of one of them."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(REPEATS):
        for name, run in runs.items():
            best[name] = min(best[name], _timed(run))
    return best


def measure(
    what: str,
    name: str,
    key_parts: tuple[Task, str, int | None, str, str],
    runtimes: list[Runtime],
    prepare: Callable[[Runtime], Prepared],
    judge: Callable[[Any, Any], tuple[bool, str, dict[str, float]]],
    store: ChoiceStore | None = None,
    interleave: bool = True,
) -> Choice:
    """Time every runtime (loaded by ``prepare``; its callable runs the calibration set), judge
    each one's outputs against the first one's (fp32), keep the fastest that passes, store it.
    A reference that fails to load is the user's error (a missing model) and is raised.
    ``interleave``: all runtimes stay loaded and are timed in alternating rounds (fair under
    changing load); otherwise each is timed once loaded and dropped (large models)."""
    task, model, layer, device, calibration = key_parts
    store = store or ChoiceStore()
    names = ", ".join(r.name for r in runtimes)
    _say(f"choosing the runtime of {what} on this machine: timing {names} (once; cached)")
    runs = {runtimes[0].name: prepare(runtimes[0])}
    ref_out = runs[runtimes[0].name]()  # the first call also warms up; its outputs are judged
    trials = {runtimes[0].name: Trial(runtimes[0].name, None, True, "reference")}
    for rt in runtimes[1:]:
        try:
            runs[rt.name] = prepare(rt)
            out = runs[rt.name]()
        except (XlnerError, ImportError, RuntimeError, OSError, ValueError) as exc:
            runs.pop(rt.name, None)
            trials[rt.name] = Trial(rt.name, None, False, f"failed: {str(exc).splitlines()[0]}")
            continue
        passed, why, quality = judge(out, ref_out)
        trials[rt.name] = Trial(rt.name, None, passed, why, quality)
        if not interleave:  # one model in memory at a time (beside the reference)
            trials[rt.name].seconds = round(_best_times({rt.name: runs.pop(rt.name)})[rt.name], 4)
    for runtime, seconds in _best_times(runs).items():
        trials[runtime].seconds = round(seconds, 4)
    best = min((t for t in trials.values() if t.passed), key=lambda t: t.seconds or float("inf"))
    ref_seconds = trials[runtimes[0].name].seconds or 0.0
    choice = Choice(
        key=choice_key(task, model, layer, device, calibration),
        runtime=best.runtime,
        task=task,
        model=name,
        layer=layer,
        device=device_model(device),
        versions=library_versions(),
        calibration=calibration,
        trials=list(trials.values()),
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store.put(choice)
    speed = ref_seconds / best.seconds if best.seconds else 1.0
    _say(f"{what}: runtime {best.runtime} ({speed:.1f}x fp32, passes the checks); `xlner runtimes`")
    return choice


def chosen_runtime(
    task: Task,
    model: str,
    device: str,
    layer: int | None = None,
    family: str | None = None,
    *,
    force: bool = False,
    store: ChoiceStore | None = None,
) -> Choice:
    """The measured choice for ``model`` doing ``task`` on ``device``: cached, or measured now
    (``force``: measured again)."""
    from xlner.datasets import resolve_data_dir
    from xlner.models import calibration as cal
    from xlner.models.loading import resolve_model

    store = store or ChoiceStore()
    data_dir = resolve_data_dir(None)
    if task == "hidden":
        if layer is None:
            raise XlnerError("an aligner's runtime is chosen for one layer; none was given")
        calibration, prepare, judge = cal.aligner_job(model, layer, device, data_dir)
        what = f"{model} (aligner, layer {layer})"
    else:
        calibration, prepare, judge = cal.tagger_job(model, device, data_dir)
        what = f"{model} (tagger)"
    path = resolve_model(model)
    key = choice_key(task, path, layer, device, calibration)
    cached = None if force else store.get(key)
    if cached is not None:
        return cached
    runtimes = candidates(device, family)
    parts = (task, path, layer, device, calibration)
    interleave = _fits(Path(path), len(runtimes))
    return measure(what, model, parts, runtimes, prepare, judge, store, interleave)


def _fits(model: Path, copies: int) -> bool:
    """Whether ``copies`` loaded copies of the model take under a quarter of the free memory."""
    size = sum(f.stat().st_size for f in model.rglob("*") if f.is_file()) if model.is_dir() else 0
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return False
    return size > 0 and copies * size < free / 4
