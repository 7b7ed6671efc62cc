"""A persistent translation cache (SQLite, WAL mode) shared by every pipeline.

Keys hash the translator's signature (backend, model, generation settings), the language pair
and the text, so a second run of the same translations makes no model call. Results are
committed in chunks while a long translation runs: a killed run keeps what it finished.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from xlner.errors import XlnerError
from xlner.translate.base import Translator, pair_signature


class TranslationCache:
    """``path=None`` keeps the cache in memory (for the length of one process)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self._lock = threading.Lock()  # one connection, used by the run's threads in turn
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise XlnerError(f"cannot create the translation cache {self.path}: {e}") from None
        try:
            self._db = sqlite3.connect(
                ":memory:" if self.path is None else self.path, timeout=60, check_same_thread=False
            )
        except sqlite3.OperationalError as e:
            raise XlnerError(f"cannot open the translation cache {self.path}: {e}") from None
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS translations (key TEXT PRIMARY KEY, output TEXT NOT NULL)"
        )
        self._db.commit()

    @staticmethod
    def key(signature: str, src: str, tgt: str, text: str) -> str:
        return hashlib.sha256("\x1f".join((signature, src, tgt, text)).encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                q = f"SELECT key, output FROM translations WHERE key IN ({marks})"
                out.update(self._db.execute(q, chunk).fetchall())
        return out

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO translations (key, output) VALUES (?, ?)", items
            )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedTranslator:
    """Wraps a translator with a :class:`TranslationCache`; ``calls`` counts model calls."""

    def __init__(self, inner: Translator, cache: TranslationCache, chunk_size: int = 512) -> None:
        self.inner = inner
        self.cache = cache
        self.chunk_size = chunk_size
        self.calls = 0
        self.hits = 0
        self.misses = 0

    @property
    def signature(self) -> str:
        return self.inner.signature

    @classmethod
    def wrap(cls, translator: Translator) -> CachedTranslator:
        """``translator`` itself when already cached, else behind an in-memory cache."""
        if isinstance(translator, CachedTranslator):
            return translator
        return cls(translator, TranslationCache(None))

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        self.inner.check_languages(src_lang, tgt_lang)

    def pair_signature(self, src_lang: str, tgt_lang: str) -> str:
        return pair_signature(self.inner, src_lang, tgt_lang)

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        sig = pair_signature(self.inner, src_lang, tgt_lang)
        keys = [TranslationCache.key(sig, src_lang, tgt_lang, t) for t in texts]
        found = self.cache.get_many(list(dict.fromkeys(keys)))
        todo: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k not in found:
                todo.setdefault(k, t)
        self.hits += len(texts) - sum(1 for k in keys if k not in found)
        self.misses += len(todo)
        items = list(todo.items())
        for i in range(0, len(items), self.chunk_size):
            chunk = items[i : i + self.chunk_size]
            outs = self.inner.translate([t for _, t in chunk], src_lang, tgt_lang)
            self.calls += 1
            pairs = [(k, o) for (k, _), o in zip(chunk, outs)]
            self.cache.put_many(pairs)
            found.update(pairs)
        return [found[k] for k in keys]
