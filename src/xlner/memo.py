"""Per-stage result cache on disk: a finished stage (English tags, alignments, candidates) is
never recomputed for the same inputs and settings. Files are written atomically."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xlner.io.atomic import atomic_open

T = TypeVar("T")


def fingerprint(*parts: Any) -> str:
    """A stable hash of strings / nested lists of strings."""
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


class StageMemo:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, stage: str, key: str, compute: Callable[[], T]) -> T:
        path = self.root / stage / f"{key}.pkl"
        if path.is_file():
            try:
                with path.open("rb") as fh:
                    value = pickle.load(fh)
                self.hits += 1
                return value
            except (pickle.UnpicklingError, EOFError, AttributeError):
                path.unlink(missing_ok=True)
        value = compute()
        with atomic_open(path, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.misses += 1
        return value
