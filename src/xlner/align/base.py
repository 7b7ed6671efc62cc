"""The Aligner protocol and its registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from xlner.data import Alignment
from xlner.registry import Registry


@runtime_checkable
class Aligner(Protocol):
    """Word alignment of sentence pairs: ``(src_word, tgt_word)`` links per pair."""

    @property
    def signature(self) -> str: ...

    def align(
        self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]
    ) -> list[Alignment]: ...


ALIGNERS: Registry[Aligner] = Registry("aligner", "xlner.aligners")
ALIGNERS.register(
    "simalign",
    "xlner.align.simalign:SimAlignAligner",
    help="SimAlign-style: cosine similarity of encoder layer (default mBERT layer "
    "8), itermax/argmax/match",
)
ALIGNERS.register(
    "awesome",
    "xlner.align.awesome:AwesomeAligner",
    help="AWESoME-style: bidirectional softmax threshold (default 1e-3)",
)
ALIGNERS.register(
    "eflomal",
    "xlner.align.eflomal:EflomalAligner",
    help="statistical alignment (eflomal), trained on the pairs being aligned",
)
