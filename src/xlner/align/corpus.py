"""Corpus-level alignment: aligners that learn from every sentence they are given (eflomal).

Such an aligner must see a language's whole corpus at once, or its links would change with the
chunk size. The pipeline streams the corpus to it instead of holding it: the sentence pairs are
written to two text files as the chunks are translated (:class:`CorpusWriter`), the aligner reads
the files and writes one line of links per pair, and the chunks read their links back by
position (:class:`LinksFile`, a byte-offset index beside the links). Memory stays bounded by
the chunk; only the aligner's own process sees the whole corpus.

The finished links are kept under the run's cache, keyed by the aligner's signature and a hash
of the corpus, so a resumed run does not align again: one sealed folder entry per corpus
(:func:`xlner.io.integrity.build_once`) holding ``links`` and its index, checked before use; a
damaged entry is aligned again, with a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import numpy as np

from xlner.data import Alignment
from xlner.errors import XlnerError
from xlner.io.atomic import atomic_open
from xlner.io.integrity import build_once


def corpus_line(words: Sequence[str]) -> str:
    """One sentence as a line of space-separated words (whitespace inside a word becomes ``_``,
    an empty word or sentence ``_``), so word i of the line is word i of the sentence."""
    return " ".join("_".join(w.split()) or "_" for w in words) or "_"


@runtime_checkable
class CorpusAligner(Protocol):
    """An aligner that aligns a whole corpus from files (see the module docstring)."""

    corpus_level: bool  # True

    @property
    def signature(self) -> str: ...

    def align_files(self, src: Path, tgt: Path, out: Path) -> None:
        """Align line i of ``src`` with line i of ``tgt`` (lines from :func:`corpus_line`) and
        write line i of ``out`` as Pharaoh links ``"0-0 1-2"``."""
        ...


def is_corpus_level(aligner: object) -> bool:
    return bool(getattr(aligner, "corpus_level", False))


@dataclass(frozen=True)
class CorpusFiles:
    """A finished corpus: two line-aligned files, their number of lines and content hash."""

    src_path: Path
    tgt_path: Path
    n: int
    digest: str


class CorpusWriter:
    """Collects sentence pairs into ``src.txt`` / ``tgt.txt`` in ``folder`` while hashing them."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.src_path, self.tgt_path = folder / "src.txt", folder / "tgt.txt"
        self._src: IO[str] = self.src_path.open("w", encoding="utf-8")
        self._tgt: IO[str] = self.tgt_path.open("w", encoding="utf-8")
        self._hash = hashlib.sha256()
        self.n = 0

    def add(self, src: Iterable[Sequence[str]], tgt: Iterable[Sequence[str]]) -> None:
        for s, t in zip(src, tgt, strict=True):
            a, b = corpus_line(s), corpus_line(t)
            self._src.write(a + "\n")
            self._tgt.write(b + "\n")
            self._hash.update(f"{a}\x1f{b}\x1e".encode())
            self.n += 1

    def close(self) -> CorpusFiles:
        """Close the files."""
        self._src.close()
        self._tgt.close()
        return CorpusFiles(self.src_path, self.tgt_path, self.n, self._hash.hexdigest()[:24])


class LinksFile:
    """Random access to the lines of a links file through ``<path>.idx.npy`` (byte offsets)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.offsets = np.load(index_path(self.path), allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise XlnerError(
                f"cannot read {index_path(self.path)}: {e}; delete its folder to realign"
            ) from None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def read(self, start: int, n: int) -> list[Alignment]:
        if start < 0 or start + n > len(self):
            raise IndexError(f"{self.path}: lines {start}..{start + n} of {len(self)}")
        with self.path.open("rb") as fh:
            fh.seek(int(self.offsets[start]))
            data = fh.read(int(self.offsets[start + n] - self.offsets[start]))
        lines = data.decode("utf-8", errors="replace").split("\n")[:n]
        try:
            if len(lines) != n:
                raise ValueError(f"{len(lines)} lines where {n} were indexed")
            return [Alignment.from_pharaoh(line) for line in lines]
        except ValueError as e:
            raise XlnerError(
                f"{self.path} is damaged ({e}); delete its folder to realign"
            ) from None


def index_path(links: Path) -> Path:
    return links.with_name(links.name + ".idx.npy")


def write_index(links: Path) -> int:
    """Write the byte-offset index of ``links`` (streaming); the number of lines."""
    offsets = [0]
    with links.open("rb") as fh:
        for line in fh:
            offsets.append(offsets[-1] + len(line))
    with atomic_open(index_path(links), "wb") as out:
        np.save(out, np.asarray(offsets, dtype=np.int64), allow_pickle=False)
    return len(offsets) - 1


def align_corpus(
    aligner: CorpusAligner, corpus: CorpusFiles, cache: Path, signature: str | None = None
) -> Path:
    """Align a finished corpus unless the same corpus was aligned before with the same
    aligner; the path of the links file (with its index), checked against its seal.
    ``signature``: the aligner's, when the caller has it already."""
    from xlner.memo import fingerprint

    sig = aligner.signature if signature is None else signature
    key = fingerprint(sig, corpus.digest, corpus.n)

    def build(tmp: Path) -> None:
        links = tmp / "links"
        aligner.align_files(corpus.src_path, corpus.tgt_path, links)
        n = write_index(links)
        if n != corpus.n:
            raise XlnerError(f"{sig} wrote {n} lines of links for {corpus.n} pairs")

    return build_once(cache / key, build, "alignment links") / "links"
