"""User-facing errors.

Every error that bad input, a missing model or an unsupported language can cause is an
:class:`XlnerError`. The CLI prints its message on one line and exits with status 2; library
users catch it like any exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


def close_match(value: str, choices: Iterable[str]) -> str | None:
    """The one of ``choices`` that ``value`` most likely misspells, if any."""
    near = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return near[0] if near else None


def suggest(value: str, choices: Iterable[str]) -> str:
    """``" (did you mean heuristic?)"`` when ``value`` is close to one of ``choices`` (a typo),
    else ``""``: the hint that ends a one-line error about an unknown name."""
    near = close_match(value, choices)
    return f" (did you mean {near}?)" if near else ""


class XlnerError(Exception):
    """An error caused by the user's input or environment, with a message meant for people."""


class DataFormatError(XlnerError):
    """A malformed input file; the message names the file and the line."""

    def __init__(self, path: str | Path | None, line: int | None, message: str) -> None:
        self.path = str(path) if path is not None else "<input>"
        self.line = line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")


class UnsupportedLanguageError(XlnerError):
    """A language code that xlner (or the chosen backend) cannot handle."""


class DatasetNotFoundError(XlnerError):
    """A dataset split with no local copy and no reachable hub copy; the message says where
    xlner looked."""


class MissingModelError(XlnerError):
    """A model that cannot be found locally or downloaded."""


class MissingDependencyError(XlnerError):
    """An optional dependency (an extra) is not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the Python package '{package}'; install it with "
            f"`pip install 'xlner[{extra}]'` (or `pip install {package}`)"
        )
