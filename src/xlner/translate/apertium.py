"""Apertium rule-based MT (Debian ``apertium`` plus a language-pair package, e.g.
``apt-get install apertium apertium-eng-spa`` for spa<->eng).

Each mode's programs are started once and kept running (:mod:`xlner.translate.apertium_pipe`:
loading a pair costs more than translating a micro-batch); a mode whose tagger carries state
across sentences, or an Apertium that cannot run that way, gets one ``apertium -u <mode>``
process per call, one sentence per line. Unknown-word marks are removed (``-u``; ``#``/``@``
generation marks are stripped too).

Apertium's mode names mix ISO 639-1 and 639-3 codes (``eu-en``, ``isl-eng``), macrolanguages
(``hbs-eng`` for Croatian, Serbian and Bosnian) and variants (``eng-hbs_HR``, ``spa-eng_US``):
:func:`resolve_mode` finds the installed mode for a language pair however either side is
spelled, preferring the variant of the requested member of a macrolanguage (hr -> ``_HR``) and
otherwise the plain mode. The signature of a pair names its Debian package and version, so
translations made with other pair data are never mixed (:meth:`ApertiumTranslator.pair_signature`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from xlner.errors import MissingModelError, UnsupportedLanguageError, XlnerError
from xlner.languages import did_you_mean, get_language
from xlner.translate.apertium_pipe import (
    STATELESS_MODES,
    Pipeline,
    PipelineClosed,
    deformat,
    reformat,
    split_deformatted,
)

_MARKS = re.compile(r"(?<!\S)[#@*](?=\w)")

#: Values of ``keep_alive``.
KEEP_ALIVE = ("measured", "always", "never")

#: Macrolanguages of Apertium's pairs and the variant suffix of each member.
MACROLANGUAGES: dict[str, dict[str, str]] = {"hbs": {"hrv": "HR", "srp": "SR", "bos": "BS"}}

#: Debian's pair packages: package -> (its two languages as ISO 639-3, directions it has).
DEBIAN_PAIRS: dict[str, tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = {
    "apertium-eng-spa": (("eng", "spa"), (("spa", "eng"), ("eng", "spa"))),
    "apertium-eu-en": (("eus", "eng"), (("eus", "eng"),)),
    "apertium-en-gl": (("eng", "glg"), (("glg", "eng"), ("eng", "glg"))),
    "apertium-hbs-eng": (("hbs", "eng"), (("hbs", "eng"), ("eng", "hbs"))),
    "apertium-eng-cat": (("eng", "cat"), (("cat", "eng"), ("eng", "cat"))),
    "apertium-isl-eng": (("isl", "eng"), (("isl", "eng"),)),
    "apertium-mkd-eng": (("mkd", "eng"), (("mkd", "eng"),)),
}


@dataclass(frozen=True)
class Mode:
    """One installed Apertium mode, e.g. ``eng-hbs_HR`` -> (eng, hbs, HR)."""

    name: str
    src: str  # ISO 639-3 or a macrolanguage code
    tgt: str
    variant: str | None

    @classmethod
    def parse(cls, name: str) -> Mode | None:
        src, sep, rest = name.partition("-")
        if not sep:
            return None
        tgt, _, variant = rest.partition("_")
        codes = []
        for code in (src, tgt):
            code = code.lower()
            if not (2 <= len(code) <= 3 and code.isalpha()):
                return None  # script modes such as Cyrl-Latn
            codes.append(code if code in MACROLANGUAGES else get_language(code).iso3)
        return cls(name, codes[0], codes[1], variant or None)


def _covers(side: str, iso3: str) -> int:
    """2: the same language; 1: ``side`` is a macrolanguage containing it; 0: neither."""
    if side == iso3:
        return 2
    return 1 if iso3 in MACROLANGUAGES.get(side, {}) else 0


def _language_key(code: str) -> str:
    code = code.strip().lower()
    return code if code in MACROLANGUAGES else get_language(code).iso3


def resolve_mode(modes: Iterable[str], src_lang: str, tgt_lang: str) -> str | None:
    """The installed mode translating ``src_lang`` into ``tgt_lang`` (any spelling), or None.

    Among the modes of the pair: the variant of the requested member of a macrolanguage on the
    target side (``eng-hbs_HR`` for hr), else the plain mode, else the first variant by name.
    """
    src, tgt = _language_key(src_lang), _language_key(tgt_lang)
    best: tuple[int, str] | None = None
    for name in modes:
        mode = Mode.parse(name)
        if mode is None:
            continue
        s, t = _covers(mode.src, src), _covers(mode.tgt, tgt)
        if not (s and t):
            continue
        wanted_variant = MACROLANGUAGES.get(mode.tgt, {}).get(tgt)
        if mode.variant is not None and mode.variant == wanted_variant:
            rank = 0
        elif mode.variant is None:
            rank = 1
        else:
            rank = 2
        rank += 3 * (4 - s - t)  # an exact language beats a macrolanguage
        if best is None or (rank, name) < best:
            best = (rank, name)
    return best[1] if best else None


def debian_package(src_lang: str, tgt_lang: str) -> str | None:
    """The Debian package that would translate ``src_lang`` into ``tgt_lang``, if one exists."""
    try:
        src, tgt = _language_key(src_lang), _language_key(tgt_lang)
    except XlnerError:
        return None
    for package, (_, directions) in DEBIAN_PAIRS.items():
        for a, b in directions:
            if _covers(a, src) and _covers(b, tgt):
                return package
    return None


class ApertiumTranslator:
    """``keep_alive``: ``measured`` (default) starts the programs of each mode measured
    stateless (:data:`~xlner.translate.apertium_pipe.STATELESS_MODES`) once and keeps them
    running (:class:`~xlner.translate.apertium_pipe.Pipeline`), ``always`` every mode,
    ``never`` none; a mode not kept alive gets one ``apertium -u`` per call."""

    def __init__(
        self,
        model: str | None = None,
        *,
        binary: str = "apertium",
        timeout: float = 3600.0,
        keep_alive: str = "measured",
    ) -> None:
        if keep_alive not in KEEP_ALIVE:
            raise XlnerError(
                f"keep_alive must be one of {', '.join(KEEP_ALIVE)}, not {keep_alive!r}"
            )
        self.binary = binary
        self.mode = model  # an explicit mode such as "spa-eng_US"; None = derive from languages
        self.timeout = timeout
        self.keep_alive = keep_alive
        self._pair_signatures: dict[str, str] = {}
        self._kept_modes: dict[str, bool] = {}
        self._pipes: dict[str, Pipeline | None] = {}
        self._pipes_lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_pipes"], state["_pipes_lock"] = {}, None  # processes stay with their owner
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._pipes_lock = threading.Lock()

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
        for code in (src_lang, tgt_lang):
            lang = get_language(code)
            if lang.nllb is None and lang.iso3 not in MACROLANGUAGES:
                raise UnsupportedLanguageError(
                    f"Apertium has no pair for {src_lang}->{tgt_lang}: {code!r} is not a "
                    f"language xlner knows{did_you_mean(code)}"
                )
        mode = resolve_mode(self.modes, src_lang, tgt_lang)
        if mode is not None:
            return mode
        installed = ", ".join(self.modes[:12]) + (" ..." if len(self.modes) > 12 else "") or "none"
        package = debian_package(src_lang, tgt_lang)
        if package is not None:
            hint = f"; install it: `sudo apt-get install {package}`"
        else:
            hint = (
                "; Debian packages no Apertium pair for it (pairs are per language, and most "
                "low-resource languages have none): use an NLLB translator, e.g. "
                "--translator hf:facebook/nllb-200-distilled-600M"
            )
        raise UnsupportedLanguageError(
            f"Apertium has no installed pair for {src_lang}->{tgt_lang} "
            f"(installed: {installed}){hint}"
        )

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        self._mode(src_lang, tgt_lang)

    def mode_of(self, src_lang: str, tgt_lang: str) -> str:
        """The Apertium mode that translates ``src_lang`` into ``tgt_lang``."""
        return self._mode(src_lang, tgt_lang)

    def pair_signature(self, src_lang: str, tgt_lang: str) -> str:
        """``apertium|<mode>|<package>=<version>[|per-sentence]``: which pair data translates
        this pair, and whether each sentence is translated as if alone (kept-alive pipeline)
        or in the context of its call (one process per call)."""
        mode = self._mode(src_lang, tgt_lang)
        if mode not in self._pair_signatures:
            sig = f"apertium|{mode}|{self._mode_data(mode)}"
            self._pair_signatures[mode] = sig + ("|per-sentence" if self.keeps_alive(mode) else "")
        return self._pair_signatures[mode]

    def keeps_alive(self, mode: str) -> bool:
        """Whether ``mode`` is translated by a kept-alive pipeline: ``keep_alive`` allows it and
        this Apertium can build one (``apertium-wblank-mode`` and the mode file found); looked
        up once per mode, not on every call."""
        if mode not in self._kept_modes:
            allowed = self.keep_alive == "always" or (
                self.keep_alive == "measured" and mode in STATELESS_MODES
            )
            path = self._mode_file(mode) if allowed else None
            self._kept_modes[mode] = (
                path is not None
                and path.is_file()
                and shutil.which("apertium-wblank-mode") is not None
            )
        return self._kept_modes[mode]

    def _mode_file(self, mode: str) -> Path | None:
        binary = shutil.which(self.binary)
        if binary is None:
            return None
        share = Path(binary).resolve().parent.parent / "share"
        return share / "apertium" / "modes" / f"{mode}.mode"

    def _mode_data(self, mode: str) -> str:
        """The Debian package and version owning the mode's file, else a hash of the file."""
        path = self._mode_file(mode)
        if path is None or not path.is_file():
            return "data=unknown"
        if shutil.which("dpkg-query"):
            owner = subprocess.run(
                ["dpkg-query", "-S", str(path)], capture_output=True, text=True, check=False
            )
            package = owner.stdout.split(":", 1)[0].strip() if owner.returncode == 0 else ""
            if package:
                version = subprocess.run(
                    ["dpkg-query", "-W", "-f", "${Version}", package],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.strip()
                return f"{package}={version or 'unknown'}"
        return "mode-sha256=" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not texts:
            return []
        mode = self._mode(src_lang, tgt_lang)
        lines = [" ".join(t.split()) or "." for t in texts]
        out = self._translate_kept(mode, lines)
        if out is None:
            out = self._translate_once(mode, lines)
        return [_MARKS.sub("", o).strip() for o in out]

    def _pipe(self, mode: str) -> Pipeline | None:
        """The mode's running pipeline, started (again) where it is not running."""
        with self._pipes_lock:
            pipe = self._pipes.get(mode)
            if pipe is not None and pipe.alive:
                return pipe
            if pipe is not None:
                pipe.close()
            elif mode in self._pipes:
                return None  # this Apertium could not build one
            path = self._mode_file(mode)
            pipe = Pipeline.for_mode(path, self.timeout) if path is not None else None
            self._pipes[mode] = pipe
            return pipe

    def _translate_kept(self, mode: str, lines: list[str]) -> list[str] | None:
        """Through the mode's kept-alive pipeline, each line as if alone; None where it is not
        kept alive (:meth:`keeps_alive`): then one process per call."""
        if not self.keeps_alive(mode):
            return None
        chunks = split_deformatted(deformat(lines), len(lines))
        if chunks is None:  # a superblank spans two lines: each deformatted alone
            chunks = [deformat([line]) for line in lines]
        for attempt in (1, 2):
            pipe = self._pipe(mode)
            if pipe is None:
                raise XlnerError(f"apertium could not start the {mode} pipeline")
            try:
                outs = pipe.run(chunks)
                break
            except PipelineClosed:  # another thread's failed call closed it: start again
                if attempt == 2:
                    raise
        return _lines(reformat("".join(outs)), mode, len(lines))

    def _translate_once(self, mode: str, lines: list[str]) -> list[str]:
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
        return _lines(proc.stdout, mode, len(lines))


def _lines(text: str, mode: str, n: int) -> list[str]:
    """Apertium's output text as its ``n`` lines (one per sentence), else a one-line error."""
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != n:
        raise XlnerError(f"apertium {mode} returned {len(out)} lines for {n} sentences")
    return out
