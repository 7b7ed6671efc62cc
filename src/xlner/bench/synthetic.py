"""Synthetic sentences of realistic length for benchmarks: realistic compute, meaningless
content."""

from __future__ import annotations

import numpy as np

from xlner.data import Sentence

#: NLLB-covered languages used when sentences are synthetic (scaling to 16 languages).
SYNTHETIC_LANGS = (
    "hau",
    "yor",
    "ibo",
    "swa",
    "zul",
    "kin",
    "lug",
    "luo",
    "nya",
    "sna",
    "twi",
    "wol",
    "bam",
    "fon",
    "ewe",
    "xho",
)


def synthetic_sentences(n: int, seed: int = 0, lang: str = "hau") -> list[Sentence]:
    """Sentences of MasakhaNER-like length (log-normal, median ~22 words) from a fixed
    word list."""
    from xlner.models.tiny import SAMPLE_TEXTS

    words = sorted({w for t in SAMPLE_TEXTS for w in t.split() if w.isalpha()})
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(22), 0.45, n).astype(int), 4, 120)
    return [
        Sentence([str(w) for w in rng.choice(words, k)], [], lang, f"syn-{i}")
        for i, k in enumerate(lengths)
    ]
