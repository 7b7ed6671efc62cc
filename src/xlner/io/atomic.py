"""Atomic file writes: a finished file is either complete or absent, never half written.

Files get the permissions any new file gets (``0666`` minus the umask), not the ``0600`` of a
temporary file; a folder the user cannot write is one clear :class:`~xlner.errors.XlnerError`
(:func:`check_writable` says so before expensive work starts).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from xlner.errors import XlnerError


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_folder(folder: Path) -> None:
    """``mkdir -p``, failing with one line (:class:`XlnerError`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise XlnerError(f"cannot create folder {folder}: a file of that name exists") from None
    except PermissionError:
        raise XlnerError(f"cannot create folder {folder}: permission denied") from None


def check_writable(path: str | Path, *, folder: bool = False) -> Path:
    """Fail now, with one line, if ``path`` (a file, or a folder with ``folder=True``) cannot be
    written: it names a folder where a file is expected, or its folder is not writable."""
    path = Path(path)
    target = path if folder else path.parent
    if not folder and path.is_dir():
        raise XlnerError(f"{path} is a folder; give a file name for the output")
    if folder and path.exists() and not path.is_dir():
        raise XlnerError(f"{path} is a file; give a folder for the output")
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise XlnerError(f"cannot write to {target}: permission denied")
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise XlnerError(f"cannot write to {target}: permission denied")
    return path


@contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it into place on success."""
    path = Path(path)
    if path.is_dir():
        raise XlnerError(f"{path} is a folder; give a file name for the output")
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except PermissionError:
        raise XlnerError(f"cannot write to {path.parent}: permission denied") from None
    try:
        os.chmod(tmp, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)
