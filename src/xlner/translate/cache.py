"""A persistent translation cache (SQLite, WAL mode) shared by every pipeline.

Keys hash the translator's signature (backend, model, generation settings), the language pair
and the text, so a second run of the same translations makes no model call. Results are
committed in chunks while a long translation runs: a killed run keeps what it finished.

A cache file is checked when opened (SQLite's ``quick_check``): a damaged one (truncated, not a
database) is moved aside to ``<name>.damaged`` with one warning and a fresh cache is started.
Each row carries a checksum of its key and output, checked when read: an altered row is a miss
(one warning) and translated again. Translations are recomputed, never misread. A database
error later is one line (:class:`~xlner.errors.XlnerError`), never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from xlner.errors import XlnerError
from xlner.io.integrity import warn
from xlner.translate.base import Translator

_SIDE_FILES = ("-wal", "-shm", "-journal")


def row_sum(key: str, output: str) -> str:
    """The checksum a row of the cache carries."""
    return hashlib.sha256(f"{key}\x1f{output}".encode()).hexdigest()[:16]


@contextmanager
def _database_errors(path: Path | None) -> Iterator[None]:
    """A SQLite error as one line naming the cache."""
    try:
        yield
    except sqlite3.Error as e:
        raise XlnerError(
            f"the translation cache {path} failed ({e}); delete it to start a new one"
        ) from None


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
        problem = self._open()
        if problem is not None:
            assert self.path is not None
            self._db.close()
            self._set_aside()
            warn(
                self.path,
                f"damaged translation cache ({problem}); moved to "
                f"{self.path.name}.damaged, a new one is started",
            )
            problem = self._open()
            if problem is not None:
                raise XlnerError(f"cannot open the translation cache {self.path}: {problem}")

    def _open(self) -> str | None:
        """Connect and check the database; what is wrong with it (``None``: nothing)."""
        try:
            self._db = sqlite3.connect(
                ":memory:" if self.path is None else self.path, timeout=60, check_same_thread=False
            )
        except sqlite3.OperationalError as e:
            raise XlnerError(f"cannot open the translation cache {self.path}: {e}") from None
        try:
            result = self._db.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                return f"integrity check: {result[0] if result else 'no answer'}"
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS translations "
                "(key TEXT PRIMARY KEY, output TEXT NOT NULL, sum TEXT)"
            )
            self._add_sums()
            self._db.commit()
        except sqlite3.OperationalError as e:
            if "readonly" in str(e) or "unable to open" in str(e) or "locked" in str(e):
                raise XlnerError(f"cannot open the translation cache {self.path}: {e}") from None
            return str(e)
        except sqlite3.DatabaseError as e:
            return str(e)
        return None

    def _add_sums(self) -> None:
        """Give the rows of a cache made before row checksums theirs."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(translations)")}
        if "sum" in columns:
            return
        self._db.execute("ALTER TABLE translations ADD COLUMN sum TEXT")
        self._db.create_function("xlner_sum", 2, row_sum, deterministic=True)
        self._db.execute("UPDATE translations SET sum = xlner_sum(key, output)")

    def _set_aside(self) -> None:
        assert self.path is not None
        try:
            os.replace(self.path, self.path.with_name(self.path.name + ".damaged"))
            for side in _SIDE_FILES:
                self.path.with_name(self.path.name + side).unlink(missing_ok=True)
        except OSError as e:
            raise XlnerError(
                f"the translation cache {self.path} is damaged and cannot be moved aside "
                f"({e.strerror}); delete it to start a new one"
            ) from None

    @staticmethod
    def key(signature: str, src: str, tgt: str, text: str) -> str:
        return hashlib.sha256("\x1f".join((signature, src, tgt, text)).encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        altered = 0
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            q = (
                "SELECT key, output, sum FROM translations "
                f"WHERE key IN ({','.join('?' * len(chunk))})"
            )
            with self._lock, _database_errors(self.path):
                rows = self._db.execute(q, chunk).fetchall()
            legacy = []
            for key, output, check in rows:
                if check == row_sum(key, output):
                    out[key] = output
                elif check is None:  # written by an xlner from before row checksums
                    out[key] = output
                    legacy.append((row_sum(key, output), key))
                else:
                    altered += 1
            if legacy:
                with self._lock, _database_errors(self.path), self._db:
                    self._db.executemany("UPDATE translations SET sum = ? WHERE key = ?", legacy)
        if altered:
            where = self.path or "translation cache (in memory)"
            warn(where, f"{altered} altered translation(s) in the cache; translated again")
        return out

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        rows = [(k, o, row_sum(k, o)) for k, o in items]
        with self._lock, _database_errors(self.path), self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO translations (key, output, sum) VALUES (?, ?, ?)", rows
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
        self._signatures: dict[tuple[str, str] | None, str] = {}  # computed once each

    @property
    def signature(self) -> str:
        if None not in self._signatures:
            self._signatures[None] = self.inner.signature
        return self._signatures[None]

    @classmethod
    def wrap(cls, translator: Translator) -> CachedTranslator:
        """``translator`` itself when already cached, else behind an in-memory cache."""
        if isinstance(translator, CachedTranslator):
            return translator
        return cls(translator, TranslationCache(None))

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        self.inner.check_languages(src_lang, tgt_lang)

    def pair_signature(self, src_lang: str, tgt_lang: str) -> str:
        """The inner translator's signature for this pair (computed once per pair)."""
        pair = (src_lang, tgt_lang)
        if pair not in self._signatures:
            own = getattr(self.inner, "pair_signature", None)
            self._signatures[pair] = self.signature if own is None else str(own(*pair))
        return self._signatures[pair]

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        sig = self.pair_signature(src_lang, tgt_lang)
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
