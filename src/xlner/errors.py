"""User-facing errors.

Every error that bad input, a missing model or an unsupported language can cause is an
:class:`XlnerError`. The CLI prints its message on one line and exits with status 2; library
users catch it like any exception.
"""

from __future__ import annotations

from pathlib import Path


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
