"""What several commands share: the help formatter, label lists, stage and executor options."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.data import REFERENCE_LABELS
from xlner.errors import XlnerError

if TYPE_CHECKING:
    from xlner.stages import StageConfig

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
            and action.default not in (None, False, [], argparse.SUPPRESS)
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


def json_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--json", help="also write the result as JSON to this file")


def emit(args: argparse.Namespace, result: Any, markdown: str) -> None:
    """A benchmark's result: written as JSON to ``--json`` (atomically; 'wrote PATH'), and
    printed as JSON or Markdown (``--format``)."""
    import json

    if getattr(args, "json", None):
        from xlner.io.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=1))
        print(f"wrote {args.json}", file=sys.stderr)
    print(json.dumps(result, indent=2) if args.format == "json" else markdown)


#: The backend kinds whose own constructor options the command line gives (``--aligner-opt``),
#: with an example of each.
BACKEND_OPTIONS = {
    "translator": "num_beams=5",
    "tagger": "max_length=256",
    "aligner": "method=argmax",
    "projector": "length_ratio=0.5",
}


def stage_options(sp: argparse.ArgumentParser) -> None:
    """The options of :class:`~xlner.stages.StageConfig`, one per field with help metadata
    (``batch_size`` -> ``--batch-size``), and ``--KIND-opt KEY=VALUE`` per backend kind."""
    from xlner.stages import StageConfig

    g = sp.add_argument_group("stages (NAME[:MODEL]; unset ones come from --preset)")
    hints = typing.get_type_hints(StageConfig)
    for f in _option_fields():
        meta = f.metadata
        flag = "--" + meta.get("flag", f.name).replace("_", "-")
        if meta.get("negate"):
            g.add_argument(flag, action="store_true", help=meta["help"])
            continue
        kind = next((a for a in typing.get_args(hints[f.name]) if a is not type(None)), None)
        kind = kind or hints[f.name]
        convert: Any = positive if meta.get("min") == 1 else None if kind is str else kind
        g.add_argument(
            flag,
            help=meta["help"],
            default=f.default,
            type=convert,
            **({"choices": meta["choices"]} if "choices" in meta else {}),
        )
    for kind, example in BACKEND_OPTIONS.items():
        g.add_argument(
            f"--{kind}-opt",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=f"an option of the {kind}'s constructor, e.g. {example}; repeatable (a key it "
            "does not take is refused, listing those it does)",
        )


def _option_fields() -> list[dataclasses.Field[Any]]:
    from xlner.stages import StageConfig

    return [f for f in dataclasses.fields(StageConfig) if "help" in f.metadata]


def stage_config(args: argparse.Namespace) -> StageConfig:
    """The :class:`~xlner.stages.StageConfig` of :func:`stage_options`' options, the backends'
    own options checked against their constructors (before any model loads)."""
    from xlner.stages import StageConfig

    values: dict[str, Any] = {}
    for f in _option_fields():
        value = getattr(args, f.metadata.get("flag", f.name))
        values[f.name] = not value if f.metadata.get("negate") else value
    cfg = StageConfig(**values)
    cfg.extra_options = backend_options(cfg, args)
    return cfg


def backend_options(cfg: StageConfig, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """``--KIND-opt KEY=VALUE`` per backend kind, checked against the constructors of the
    run's backends of that kind (every projector for ``--projector-opt``)."""
    from xlner.registry import backend_options as parse
    from xlner.registry import parse_spec

    out = {}
    for kind in BACKEND_OPTIONS:
        pairs = getattr(args, f"{kind}_opt", None)
        if pairs:
            registry, specs = _backends(cfg, kind)
            names = [parse_spec(s)[0] for s in specs]
            out[kind] = parse(registry, names, pairs, f"--{kind}-opt")
    return out


def _backends(cfg: StageConfig, kind: str) -> tuple[Any, list[str]]:
    """The registry of a backend kind and the specs of its backends in ``cfg``."""
    if kind == "translator":
        from xlner.translate import TRANSLATORS

        return TRANSLATORS, [cfg.spec("translator")]
    if kind == "tagger":
        from xlner.tag import TAGGERS

        return TAGGERS, [cfg.spec(r) for r in ("source_tagger", "mt_tagger", "candidate_tagger")]
    if kind == "aligner":
        from xlner.align import ALIGNERS

        return ALIGNERS, [cfg.spec("aligner")]
    from xlner.project import PROJECTORS

    return PROJECTORS, PROJECTORS.names()


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
