"""Per-stage result cache on disk: a finished stage (English tags, alignments, candidates,
back-translations) is never recomputed for the same inputs and settings.

Entries are JSON (gzip), one file per stage and content key, with a format version, written
atomically. Nothing is unpickled: a cache folder shared between users or cluster nodes holds
data, never code. An entry that cannot be read — truncated, another format version, not JSON —
is a miss: it is recomputed and overwritten.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from xlner.io.atomic import atomic_open

T = TypeVar("T")
FORMAT_VERSION = 1


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

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / f"{key}.json.gz"

    def load(self, stage: str, key: str, codec: Codec[Any]) -> tuple[bool, Any]:
        path = self.path(stage, key)
        if not path.is_file():
            return False, None
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                doc = json.load(fh)
            if doc.get("format") != FORMAT_VERSION or doc.get("codec") != codec.name:
                return False, None
            return True, codec.decode(doc["value"])
        except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error):
            return False, None

    def store(self, stage: str, key: str, codec: Codec[T], value: T) -> None:
        doc = {"format": FORMAT_VERSION, "codec": codec.name, "value": codec.encode(value)}
        data = gzip.compress(json.dumps(doc, ensure_ascii=False).encode(), mtime=0)
        with atomic_open(self.path(stage, key), "wb") as fh:
            fh.write(data)

    def get_or_compute(self, stage: str, key: str, codec: Codec[T], compute: Callable[[], T]) -> T:
        found, value = self.load(stage, key, codec)
        if found:
            self.hits += 1
            return value
        value = compute()
        self.store(stage, key, codec, value)
        self.misses += 1
        return value
