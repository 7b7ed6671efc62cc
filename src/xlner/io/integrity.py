"""Cache entries that are checked when read: a damaged entry is rebuilt, never trusted.

Every cache xlner keeps (alignment links and their index, the seeded eflomal binary, encoder
exports, stage memos) is written in one of two sealed forms:

* a **folder entry** (:func:`build_once`): built in a temporary folder, which gets a
  ``seal.json`` listing each file's length and SHA-256, and is renamed into place whole;
  :func:`verified` checks the files against it before the entry is used;
* a **sealed blob** (:func:`seal_bytes` / :func:`unseal_bytes`): one line ``xlner-seal 1
  LENGTH SHA256`` before the payload, for entries read whole (stage memos).

Locally built models (e5-small, e5-small-ner-en) are folder entries too; being large, a load
checks their files' lengths only (:func:`is_built`), ``xlner models verify`` the checksums.

A damaged entry (truncated, altered, a file missing, no seal) is reported by :func:`warn` — one
line on stderr naming the file and what is done about it — and rebuilt. Warnings change no
output. A folder verified once is not hashed again by the same process while its files keep
their sizes and modification times.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from xlner.errors import XlnerError
from xlner.io.atomic import current_umask, make_folder

SEAL = "seal.json"
SEAL_VERSION = 1
_BLOB_MAGIC = b"xlner-seal"
_CHUNK = 1 << 20
_verified: set[tuple[str, tuple[tuple[str, int, int], ...]]] = set()


def warn(subject: str | Path, message: str) -> None:
    """One warning line on stderr: ``xlner: warning: SUBJECT: MESSAGE``."""
    print(f"xlner: warning: {subject}: {message}", file=sys.stderr, flush=True)


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SEAL)


def _manifest(folder: Path) -> dict[str, list[int | str]]:
    return {
        p.relative_to(folder).as_posix(): [p.stat().st_size, file_digest(p)] for p in _files(folder)
    }


def _stat_key(folder: Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    stats = tuple((p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in _files(folder))
    return str(folder.resolve()), stats


def seal(folder: Path) -> None:
    """Write ``folder/seal.json``: the length and SHA-256 of every file in it."""
    doc = {"version": SEAL_VERSION, "files": _manifest(folder)}
    (folder / SEAL).write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")


def _problem(folder: Path, hashes: bool = True) -> str | None:
    """What is wrong with a folder entry (``None``: it matches its seal; without ``hashes``
    only the list of files and their lengths are checked)."""
    try:
        doc = json.loads((folder / SEAL).read_text(encoding="utf-8"))
        files = doc["files"]
        if doc.get("version") != SEAL_VERSION or not isinstance(files, dict):
            return "its seal is of another version"
    except FileNotFoundError:
        return "it has no seal (unfinished, or made by an older xlner)"
    except (OSError, ValueError, KeyError, TypeError):
        return "its seal is unreadable"
    if sorted(files) != [p.relative_to(folder).as_posix() for p in _files(folder)]:
        return "its files differ from those sealed"
    for name, (size, digest) in sorted(files.items()):
        path = folder / name
        if path.stat().st_size != size:
            return f"{name} is {path.stat().st_size} bytes, {size} were written"
        if hashes and file_digest(path) != digest:
            return f"{name} does not match its checksum"
    return None


def verified(folder: Path, what: str, hashes: bool = True) -> bool:
    """Whether the folder entry ``folder`` is whole. Absent: ``False``. Damaged: one warning
    naming it and ``what`` it holds, the folder removed, ``False``. Without ``hashes`` (large
    entries, checked on every load: built models) the files' lengths are checked, not their
    checksums."""
    if not folder.is_dir():
        if folder.exists():
            warn(folder, f"damaged {what} (not a folder); removed, it will be rebuilt")
            folder.unlink()
        return False
    key = _stat_key(folder)
    if key in _verified:
        return True
    problem = _problem(folder, hashes)
    if problem is None:
        if hashes:
            _verified.add(_stat_key(folder))
        return True
    warn(folder, f"damaged {what} ({problem}); removed, it will be rebuilt")
    shutil.rmtree(folder, ignore_errors=True)
    return False


def is_built(folder: Path, what: str, done_file: str) -> bool:
    """Whether a locally built model folder is whole, by its seal: the files and their
    lengths, checked on every load (their checksums: ``xlner models verify``). Damaged: one
    warning, the folder removed, ``False``. A folder finished by an older xlner (``done_file``,
    no seal) is trusted as before and sealed now."""
    if (folder / done_file).is_file() and not (folder / SEAL).exists():
        with contextlib.suppress(OSError):  # a read-only shared cache stays as it is
            seal(folder)
        return True
    return verified(folder, what, hashes=False)


def build_once(
    target: Path, build: Callable[[Path], object], what: str, force: bool = False
) -> Path:
    """``target``, verified, or built by ``build(tmp_folder)`` into a temporary folder beside
    it, sealed and renamed into place whole (a concurrent builder's finished copy wins). With
    ``force`` it is built again and replaces the one there."""
    if not force and verified(target, what):
        return target
    make_folder(target.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except PermissionError:
        raise XlnerError(f"cannot write to {target.parent}: permission denied") from None
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # a shared cache: the permissions of any new folder
        build(tmp)
        seal(tmp)
        if force and target.is_dir():
            shutil.rmtree(target)
        try:
            os.replace(tmp, target)
        except OSError:
            if not verified(target, what):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def seal_bytes(payload: bytes) -> bytes:
    """``payload`` after a header line with its length and SHA-256."""
    digest = hashlib.sha256(payload).hexdigest()
    return b"%s %d %d %s\n" % (_BLOB_MAGIC, SEAL_VERSION, len(payload), digest.encode()) + payload


def unseal_bytes(data: bytes) -> bytes | None:
    """The payload of :func:`seal_bytes`, or ``None`` when ``data`` is not whole."""
    header, sep, payload = data.partition(b"\n")
    parts = header.split()
    if not sep or len(parts) != 4 or parts[0] != _BLOB_MAGIC or parts[1] != b"%d" % SEAL_VERSION:
        return None
    if parts[2] != b"%d" % len(payload):
        return None
    if hashlib.sha256(payload).hexdigest().encode() != parts[3]:
        return None
    return payload
