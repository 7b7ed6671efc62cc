"""Per-stage result cache on disk: a finished stage (English tags, alignments, candidates,
back-translations) is never recomputed for the same inputs and settings.

Entries are JSON (gzip), one file per stage and content key, with a format version, sealed
(:func:`xlner.io.integrity.seal_bytes`: length and checksum) and written atomically. Nothing is
unpickled: a cache folder shared between users or cluster nodes holds data, never code. An
entry of another format version is a miss; a damaged one (truncated, altered) is a miss with
one warning naming it. Either is recomputed and overwritten.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from xlner.io.atomic import atomic_open
from xlner.io.integrity import seal_bytes, unseal_bytes, warn

T = TypeVar("T")
FORMAT_VERSION = 2  # 2: sealed
_GZIP_MAGIC = b"\x1f\x8b"  # an unsealed entry of format 1: a miss, not damage


def fingerprint(*parts: Any) -> str:
    """A stable hash of strings / numbers / nested lists of them."""
    h = hashlib.sha256()

    def feed(x: Any) -> None:
        if isinstance(x, (list, tuple)):
            h.update(b"[")
            for y in x:
                feed(y)
            h.update(b"]")
        else:
            h.update(str(x).encode())
            h.update(b"\x1f")

    for p in parts:
        feed(p)
    return h.hexdigest()[:24]


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How a stage's value becomes JSON and back."""

    name: str
    encode: Callable[[T], Any]
    decode: Callable[[Any], T]


class StageMemo:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self._count = threading.Lock()  # stage threads (overlap) count hits and misses together

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / f"{key}.json.gz"

    def load(self, stage: str, key: str, codec: Codec[Any]) -> tuple[bool, Any]:
        path = self.path(stage, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return False, None
        except OSError as e:
            warn(path, f"unreadable stage memo ({e.strerror}); recomputed")
            return False, None
        payload = unseal_bytes(data)
        if payload is None:
            if not data.startswith(_GZIP_MAGIC):
                warn(path, "damaged stage memo (truncated or altered); recomputed")
            return False, None
        try:
            doc = json.loads(gzip.decompress(payload))
            if doc.get("format") != FORMAT_VERSION or doc.get("codec") != codec.name:
                return False, None
            return True, codec.decode(doc["value"])
        except (EOFError, ValueError, KeyError, TypeError, AttributeError, zlib.error):
            warn(path, "stage memo of an unknown layout; recomputed")
            return False, None

    def store(self, stage: str, key: str, codec: Codec[T], value: T) -> None:
        doc = {"format": FORMAT_VERSION, "codec": codec.name, "value": codec.encode(value)}
        data = gzip.compress(json.dumps(doc, ensure_ascii=False).encode(), mtime=0)
        with atomic_open(self.path(stage, key), "wb") as fh:
            fh.write(seal_bytes(data))

    def get_or_compute(self, stage: str, key: str, codec: Codec[T], compute: Callable[[], T]) -> T:
        found, value = self.load(stage, key, codec)
        if found:
            with self._count:
                self.hits += 1
            return value
        value = compute()
        self.store(stage, key, codec, value)
        with self._count:
            self.misses += 1
        return value
