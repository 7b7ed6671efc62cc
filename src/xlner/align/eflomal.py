"""Statistical word alignment with eflomal (Östling & Tiedemann, 2016).

eflomal is trained on the sentence pairs being aligned (plus optional extra parallel text,
which helps small inputs), in both directions, and the two directions are symmetrised:
``grow-diag-final-and`` (default), ``intersection`` or ``union``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xlner.data import Alignment
from xlner.errors import MissingDependencyError, XlnerError

SYMMETRISATIONS = ("grow-diag-final-and", "intersection", "union")


def grow_diag_final_and(
    fwd: set[tuple[int, int]], rev: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Koehn et al.'s grow-diag-final-and symmetrisation of two directional alignments."""
    union = fwd | rev
    links = fwd & rev
    neighbours = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    src_aligned = {i for i, _ in links}
    tgt_aligned = {j for _, j in links}
    added = True
    while added:
        added = False
        for i, j in sorted(links):
            for di, dj in neighbours:
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


def _read_links(path: Path) -> list[set[tuple[int, int]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        out.append({tuple(map(int, x.split("-"))) for x in line.split()})  # type: ignore[misc]
    return out


class EflomalAligner:
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
        self.symmetrization = sym
        self.extra_src = list(extra_src or [])
        self.extra_tgt = list(extra_tgt or [])
        self.n_samplers = n_samplers
        self.seed = seed

    @property
    def signature(self) -> str:
        return f"eflomal|{self.symmetrization}|extra={len(self.extra_src)}"

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[Alignment]:
        if len(src) != len(tgt):
            raise XlnerError(f"{len(src)} source but {len(tgt)} target sentences")
        if not src:
            return []
        try:
            import eflomal
        except ImportError:
            raise MissingDependencyError("eflomal", "offline", "the eflomal aligner") from None
        if self.seed is not None:
            np.random.seed(self.seed)

        def lines(sents: Sequence[Sequence[str]]) -> list[str]:
            # eflomal reads whitespace-separated tokens; an empty sentence needs a placeholder
            return [" ".join(w.replace(" ", "_") or "_" for w in s) or "_" for s in sents]

        src_lines = lines(src) + lines(self.extra_src)
        tgt_lines = lines(tgt) + lines(self.extra_tgt)
        with tempfile.TemporaryDirectory(prefix="xlner-eflomal-") as tmp:
            fwd, rev = Path(tmp, "fwd"), Path(tmp, "rev")
            aligner = eflomal.Aligner(n_samplers=self.n_samplers)
            aligner.align(
                src_lines,
                tgt_lines,
                links_filename_fwd=str(fwd),
                links_filename_rev=str(rev),
                quiet=True,
            )
            fwd_links, rev_links = _read_links(fwd), _read_links(rev)
        out = []
        for k, (s, t) in enumerate(zip(src, tgt)):
            f, r = fwd_links[k], rev_links[k]
            if self.symmetrization == "intersection":
                links = f & r
            elif self.symmetrization == "union":
                links = f | r
            else:
                links = grow_diag_final_and(f, r)
            links = {(i, j) for i, j in links if i < len(s) and j < len(t)}
            out.append(Alignment.from_pairs(sorted(links)))
        return out
