"""Apertium rule-based MT (Debian ``apertium`` plus a language-pair package, e.g.
``apt-get install apertium apertium-eng-spa`` for spa<->eng).

All sentences of a call go through one ``apertium -u <pair>`` process, one sentence per line;
unknown-word marks are removed (``-u``; ``#``/``@`` generation marks are stripped too).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from functools import cached_property

from xlner.errors import MissingModelError, UnsupportedLanguageError, XlnerError
from xlner.languages import did_you_mean, get_language

_MARKS = re.compile(r"(?<!\S)[#@*](?=\w)")


class ApertiumTranslator:
    def __init__(
        self, model: str | None = None, *, binary: str = "apertium", timeout: float = 3600.0
    ) -> None:
        self.binary = binary
        self.mode = model  # an explicit mode such as "spa-eng_US"; None = derive from languages
        self.timeout = timeout

    @property
    def signature(self) -> str:
        return f"apertium|{self.mode or 'auto'}"

    @cached_property
    def modes(self) -> list[str]:
        if shutil.which(self.binary) is None:
            raise MissingModelError(
                "the Apertium translator needs the Debian packages apertium and a language "
                "pair, e.g. `sudo apt-get install apertium apertium-eng-spa` for Spanish<->English"
            )
        out = subprocess.run([self.binary, "-l"], capture_output=True, text=True, check=False)
        return [m.strip() for m in out.stdout.split() if m.strip()]

    def _mode(self, src_lang: str, tgt_lang: str) -> str:
        if self.mode:
            if self.mode not in self.modes:
                raise UnsupportedLanguageError(
                    f"Apertium mode {self.mode!r} is not installed; "
                    f"installed: {', '.join(self.modes)}"
                )
            return self.mode
        src, tgt = get_language(src_lang), get_language(tgt_lang)
        mode = f"{src.iso3}-{tgt.iso3}"
        if mode not in self.modes:
            unknown = [x.code for x in (src, tgt) if x.nllb is None]
            hint = (
                f"; {unknown[0]!r} is not a language xlner knows{did_you_mean(unknown[0])}"
                if unknown
                else "; Apertium packages are per language pair (apertium-<a>-<b>), and most "
                "low-resource languages have none: use an NLLB translator, e.g. "
                "--translator hf:facebook/nllb-200-distilled-600M"
            )
            raise UnsupportedLanguageError(
                f"Apertium has no installed pair {mode} for {src_lang}->{tgt_lang} (installed: "
                f"{', '.join(self.modes) or 'none'}){hint}"
            )
        return mode

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        self._mode(src_lang, tgt_lang)

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not texts:
            return []
        mode = self._mode(src_lang, tgt_lang)
        lines = [" ".join(t.split()) or "." for t in texts]
        proc = subprocess.run(
            [self.binary, "-u", mode],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise XlnerError(f"apertium {mode} failed: {proc.stderr.strip()[:300]}")
        out = proc.stdout.split("\n")
        if out and out[-1] == "":
            out.pop()
        if len(out) != len(lines):
            raise XlnerError(
                f"apertium {mode} returned {len(out)} lines for {len(lines)} sentences"
            )
        return [_MARKS.sub("", o).strip() for o in out]
