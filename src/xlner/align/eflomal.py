"""Statistical word alignment with eflomal (Östling & Tiedemann, 2016), reproducible.

eflomal learns from the sentence pairs it aligns (plus optional extra parallel text, which helps
small inputs), in both directions; the two directions are symmetrised: ``grow-diag-final-and``
(default), ``intersection`` or ``union``. It is a corpus-level aligner
(:mod:`xlner.align.corpus`): the pipeline streams a language's whole corpus to it through files,
so its links never depend on the chunk size and memory is not held by xlner.

**Seeding.** The eflomal binary seeds its sampler from ``/dev/urandom`` and has no seed option,
so two runs differ (a few entities in 1,000 sentences). xlner runs a copy of the binary (made
once in ``$XLNER_CACHE/eflomal/seeded-*/``) whose only change is that 12-byte path, pointing at the
file ``./xlner.seed`` in the run's working folder, which holds ``seed`` (default 1); samplers run
one after another (``OMP_NUM_THREADS=2,1``: the two directions in parallel, each direction's
samplers in order), because the order in which threads take their random states is otherwise
not fixed. Same input, seed and versions give byte-identical links.

**Limits, reported.** eflomal leaves a sentence of :data:`MAX_WORDS` + 1 words or more unaligned
(its input format has no room for it): such pairs get no links, a warning, and their entities
are reported lost as ``too_long`` (:attr:`EflomalAligner.max_words`). eflomal learns from the
text it aligns: fewer than :data:`MIN_SENTENCES` pairs (extra text included) give a warning.
The seeded binary is a sealed cache entry (:func:`xlner.io.integrity.build_once`): a damaged
copy is made again, with a warning.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path

from xlner.align.corpus import corpus_line
from xlner.data import Alignment
from xlner.errors import MissingDependencyError, XlnerError
from xlner.io.integrity import build_once, warn

SYMMETRISATIONS = ("grow-diag-final-and", "intersection", "union")
DEFAULT_SEED = 1
_URANDOM = b"/dev/urandom\x00"
_SEED_FILE = b"./xlner.seed\x00"  # the same length: the binary's layout is unchanged
#: The longest sentence eflomal aligns, in words; longer ones are written to it as empty.
MAX_WORDS = 0x3FF
#: Fewer sentence pairs than this give a warning: eflomal learns its model from them.
MIN_SENTENCES = 100
_NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def grow_diag_final_and(
    fwd: set[tuple[int, int]], rev: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Koehn et al.'s grow-diag-final-and symmetrisation of two directional alignments."""
    union = fwd | rev
    links = fwd & rev
    src_aligned = {i for i, _ in links}
    tgt_aligned = {j for _, j in links}
    added = True
    while added:
        added = False
        for i, j in sorted(links):
            for di, dj in _NEIGHBOURS:
                p = (i + di, j + dj)
                if (
                    p in union
                    and p not in links
                    and (p[0] not in src_aligned or p[1] not in tgt_aligned)
                ):
                    links.add(p)
                    src_aligned.add(p[0])
                    tgt_aligned.add(p[1])
                    added = True
    for direction in (fwd, rev):  # final-and
        for i, j in sorted(direction):
            if i not in src_aligned and j not in tgt_aligned:
                links.add((i, j))
                src_aligned.add(i)
                tgt_aligned.add(j)
    return links


def _links(line: str) -> set[tuple[int, int]]:
    out = set()
    for item in line.split():
        i, _, j = item.partition("-")
        out.add((int(i), int(j)))
    return out


def write_eflomal_text(
    lines: Iterable[str], path: Path, on_too_long: Callable[[int], None] | None = None
) -> int:
    """eflomal's numeric input format, streamed: a header ``n_sentences vocabulary_size``, then
    per sentence its length and word ids (lower-cased words, ids by first occurrence; more than
    :data:`MAX_WORDS` words are written as an empty sentence, and ``on_too_long(line index)``
    is called) — what ``eflomal.Aligner`` writes. The number of sentences."""
    index: dict[str, int] = {}
    n = 0
    body = path.with_name(path.name + ".body")
    with body.open("w", encoding="ascii") as fh:
        for line in lines:
            ids = [index.setdefault(t, len(index)) for t in line.lower().split()]
            if len(ids) > MAX_WORDS:
                fh.write("0\n")
                if on_too_long is not None:
                    on_too_long(n)
            else:
                fh.write(f"{len(ids)}{''.join(f' {i}' for i in ids)}\n")
            n += 1
    with path.open("wb") as out, body.open("rb") as src:
        out.write(f"{n} {len(index)}\n".encode())
        shutil.copyfileobj(src, out)
    body.unlink()
    return n


def seeded_binary(cache: Path | None = None) -> Path | None:
    """A copy of eflomal's binary that reads its seed from ``./xlner.seed`` (see the module
    docstring); ``None`` when the installed binary does not have the expected layout."""
    try:
        import eflomal
    except ImportError:
        raise MissingDependencyError("eflomal", "offline", "the eflomal aligner") from None
    original = Path(eflomal.__file__).parent / "bin" / "eflomal"
    data = original.read_bytes()
    if data.count(_URANDOM) != 1:
        return None
    from xlner.models.loading import cache_dir

    digest = hashlib.sha256(data).hexdigest()[:16]

    def build(tmp: Path) -> None:
        (tmp / "eflomal").write_bytes(data.replace(_URANDOM, _SEED_FILE))
        os.chmod(tmp / "eflomal", 0o755)

    folder = (cache or cache_dir()) / "eflomal" / f"seeded-{digest}"  # a folder entry
    return build_once(folder, build, "seeded eflomal binary") / "eflomal"


def _report_limits(src: Path, n: int, too_long: list[int]) -> None:
    """Warnings for what eflomal cannot do well with this input (outputs are unchanged)."""
    if too_long:
        lines = ", ".join(str(i + 1) for i in too_long[:5]) + (", ..." if len(too_long) > 5 else "")
        warn(
            src,
            f"{len(too_long)} sentence pair(s) over eflomal's limit of {MAX_WORDS} words "
            f"(line {lines}) left unaligned; their entities are reported lost as too_long",
        )
    if n < MIN_SENTENCES:
        warn(
            src,
            f"eflomal learns from the text it aligns and gets only {n} sentence pairs (it "
            f"needs hundreds, {MIN_SENTENCES} at least); aligned anyway, links will be poor — "
            "align more sentences at once or give extra parallel text",
        )


def iterations(n_sentences: int, rel_iterations: float = 1.0) -> tuple[int, int, int]:
    """eflomal's default iterations of IBM1, HMM and fertility for a corpus of this size."""
    iters = max(2, round(rel_iterations * 5000 / math.sqrt(max(n_sentences, 1))))
    iters4 = max(1, iters // 4)
    return max(2, iters4), iters4, iters


class EflomalAligner:
    corpus_level = True
    max_words = MAX_WORDS  # longer sentences stay unaligned (lost as too_long)

    def __init__(
        self,
        model: str | None = None,
        *,
        symmetrization: str = "grow-diag-final-and",
        extra_src: Sequence[Sequence[str]] | None = None,
        extra_tgt: Sequence[Sequence[str]] | None = None,
        n_samplers: int = 3,
        seed: int | None = None,
    ) -> None:
        sym = model or symmetrization
        if sym not in SYMMETRISATIONS:
            raise XlnerError(
                f"unknown symmetrisation {sym!r}; choose one of: {', '.join(SYMMETRISATIONS)}"
            )
        if len(extra_src or []) != len(extra_tgt or []):
            raise XlnerError("extra_src and extra_tgt must hold the same number of sentences")
        self.symmetrization = sym
        self.extra_src = list(extra_src or [])
        self.extra_tgt = list(extra_tgt or [])
        self.n_samplers = n_samplers
        self.seed = DEFAULT_SEED if seed is None else seed

    @property
    def signature(self) -> str:
        return (
            f"eflomal|{self.symmetrization}|extra={len(self.extra_src)}|samplers={self.n_samplers}"
            f"|seed={self.seed}"
        )

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[Alignment]:
        """Align a list of pairs (the whole input is the corpus eflomal learns from)."""
        if len(src) != len(tgt):
            raise XlnerError(f"{len(src)} source but {len(tgt)} target sentences")
        if not src:
            return []
        with tempfile.TemporaryDirectory(prefix="xlner-eflomal-") as tmp:
            s, t, out = Path(tmp, "src"), Path(tmp, "tgt"), Path(tmp, "links")
            s.write_text("".join(corpus_line(x) + "\n" for x in src), encoding="utf-8")
            t.write_text("".join(corpus_line(x) + "\n" for x in tgt), encoding="utf-8")
            self.align_files(s, t, out)
            with out.open(encoding="utf-8") as fh:
                return [Alignment.from_pharaoh(line) for line in fh]

    def align_files(self, src: Path, tgt: Path, out: Path) -> None:
        """Corpus-level alignment of two line-aligned files (:mod:`xlner.align.corpus`)."""
        binary = seeded_binary()
        if binary is None:  # pragma: no cover - another eflomal build
            raise XlnerError(
                "this eflomal build cannot be seeded (its binary does not read /dev/urandom "
                "as xlner expects); install eflomal 2.0 (`pip install 'eflomal==2.0.0'`)"
            )
        with tempfile.TemporaryDirectory(prefix="xlner-eflomal-", dir=out.parent) as tmp:
            work = Path(tmp)
            (work / "xlner.seed").write_bytes(self.seed.to_bytes(8, "little", signed=False))
            extra_s = (corpus_line(x) for x in self.extra_src)
            extra_t = (corpus_line(x) for x in self.extra_tgt)
            too_long: set[int] = set()
            with src.open(encoding="utf-8") as fs, tgt.open(encoding="utf-8") as ft:
                n = write_eflomal_text(chain(fs, extra_s), work / "src.eflomal", too_long.add)
                m = write_eflomal_text(chain(ft, extra_t), work / "tgt.eflomal", too_long.add)
                if m != n:
                    extra = len(self.extra_src)
                    raise XlnerError(
                        f"{src} has {n - extra} lines, {tgt} has {m - extra}: an aligned corpus "
                        "needs one line per sentence pair in both"
                    )
            _report_limits(src, n, sorted(i for i in too_long if i < n - len(self.extra_src)))
            i1, i2, i3 = iterations(n)
            args = [str(binary), "-m", "3", "-s", "src.eflomal", "-t", "tgt.eflomal"]
            args += ["-n", str(self.n_samplers), "-N", "0.2", "-1", str(i1), "-q"]
            args += ["-2", str(i2), "-3", str(i3), "-f", "fwd", "-r", "rev"]
            env = {**os.environ, "OMP_NUM_THREADS": "2,1", "OMP_MAX_ACTIVE_LEVELS": "2"}
            proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise XlnerError(
                    f"eflomal failed ({proc.returncode}): {proc.stderr.strip()[:300]} "
                    f"(its seeded copy is {binary}; delete {binary.parent} to make it again)"
                )
            n_corpus = n - len(self.extra_src)
            with (
                src.open(encoding="utf-8") as fs,
                tgt.open(encoding="utf-8") as ft,
                (work / "fwd").open(encoding="utf-8") as ff,
                (work / "rev").open(encoding="utf-8") as fr,
                out.open("w", encoding="utf-8") as fo,
            ):
                for _, s_line, t_line, f, r in zip(range(n_corpus), fs, ft, ff, fr):
                    links = self._symmetrise(_links(f), _links(r))
                    ns, nt = len(s_line.split()), len(t_line.split())
                    kept = sorted((i, j) for i, j in links if i < ns and j < nt)
                    fo.write(" ".join(f"{i}-{j}" for i, j in kept) + "\n")

    def _symmetrise(self, f: set[tuple[int, int]], r: set[tuple[int, int]]) -> set[tuple[int, int]]:
        if self.symmetrization == "intersection":
            return f & r
        if self.symmetrization == "union":
            return f | r
        return grow_diag_final_and(f, r)
