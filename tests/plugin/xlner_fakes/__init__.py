"""A third-party xlner plugin (installed by the tests): deterministic fake backends whose
outputs are known by construction, discovered through entry points."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from xlner.data import Alignment, Span


class EchoTranslator:
    """'Translates' by returning the text unchanged."""

    signature = "echo"

    def __init__(self, model: str | None = None) -> None:
        pass

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        pass

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        return list(texts)


class CrashOnceTranslator(EchoTranslator):
    """Echo, but the process translating the chunk that holds the text ``MODEL`` dies once
    (``os._exit``) — the first time only, marked by a file in ``$XLNER_CRASH_DIR``: a worker
    killed mid-run."""

    def __init__(self, model: str | None = None) -> None:
        self.trigger = model or "CRASH"

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        marker = Path(os.environ["XLNER_CRASH_DIR"]) / "crashed"
        if any(self.trigger in t for t in texts) and not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return list(texts)


class SlowTranslator(EchoTranslator):
    """Echo after ``MODEL`` seconds per call (default 0.2): a backend that keeps a worker busy,
    so that requests queue up behind it."""

    def __init__(self, model: str | None = None) -> None:
        self.delay = float(model or 0.2)
        self.calls: list[int] = []  # texts per call

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        import time

        self.calls.append(len(texts))
        time.sleep(self.delay)
        return list(texts)


class BoomTranslator(EchoTranslator):
    """Echo, but raises on any call whose texts hold ``MODEL`` (default ``BOOM``): a backend
    that fails on one request."""

    def __init__(self, model: str | None = None) -> None:
        self.trigger = model or "BOOM"

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        if any(self.trigger in t for t in texts):
            raise RuntimeError(f"cannot translate {self.trigger}")
        return list(texts)


class CapsTagger:
    """PER for every run of capitalised words (confidence 0.8 for two or more words, else 0.4)."""

    def __init__(self, model: str | None = None, batch_size: int = 1) -> None:
        self.signature = "caps"
        self.batch_size = batch_size

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]:
        out = []
        for words in sentences:
            spans, i = [], 0
            while i < len(words):
                if words[i][:1].isupper():
                    j = i
                    while j < len(words) and words[j][:1].isupper():
                        j += 1
                    spans.append(Span(i, j, "PER", 0.8 if j - i > 1 else 0.4))
                    i = j
                else:
                    i += 1
            out.append(spans)
        return out


class DiagonalAligner:
    """Links word i to word i (words in ``drop`` get no link); takes ``--layer`` to show that a
    plugin gets run options by declaring them (the layer is only recorded in the signature)."""

    def __init__(self, model: str | None = None, layer: int = 0, drop: Sequence[str] = ()) -> None:
        self.drop = set(drop)
        self.signature = f"diag|layer={layer}|drop={sorted(self.drop)}"

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[Alignment]:
        return [
            Alignment.from_pairs(
                (i, i) for i in range(min(len(s), len(t))) if s[i] not in self.drop
            )
            for s, t in zip(src, tgt)
        ]
