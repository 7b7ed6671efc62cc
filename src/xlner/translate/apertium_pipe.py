"""A long-lived Apertium pipeline per mode, in null-flush mode.

``apertium -u <mode>`` starts a dozen processes that load the pair's transducers and rules on
every call: about 0.15–0.3 s of CPU before the first word, more than a micro-batch of the server
or a chunk of a run takes to translate. :class:`Pipeline` starts the mode's programs once
(``apertium-wblank-mode -z`` writes them with ``-z``, as ``apertium -z`` does) and sends each
sentence followed by ``\\0``: every program flushes at the null, so each sentence's translation
comes back on its own while the next is written.

Formatting stays Apertium's own: ``apertium-destxt`` deformats the call's text and
``apertium-retxt`` reformats the translations, each once per call (tiny programs, no data);
only the pair's pipeline between them is kept running. Each sentence is sent as the document
destxt makes of it alone, so its translation is byte-identical to ``apertium -u`` on that one
sentence, whatever came before it — where the pair's tagger starts afresh at each sentence,
which :data:`STATELESS_MODES` records for the pairs measured. One pipeline per mode serves one
call at a time (a translator shared by threads takes turns, as the stage locks of
``xlner run`` and ``xlner serve`` already make it).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from xlner.errors import XlnerError

#: Modes measured to translate each sentence alike whatever the process translated before
#: (``xlner bench apertium``; tests/test_apertium_pipe.py checks each against a 300-sentence
#: history): spa-eng, eu-en and the hbs modes change none of 100 sentences after 1,000 others.
#: Only these run kept alive by default (``keep_alive="measured"``). Others measured stateful:
#: their HMM tagger's choices depend on sentences long before — apertium-en-gl (dropping the
#: 40 Galician sentences before 160 others changes 55 of their translations) and eng-spa
#: (after 1,000 English sentences through one process, 13 of the next 100 differ from alone);
#: a pair not measured (eng-cat, isl-eng, mkd-eng, ...) may be either, so it gets one fresh
#: process per call unless ``keep_alive="always"``.
STATELESS_MODES = frozenset(
    {"spa-eng", "eu-en", "hbs-eng", "eng-hbs", "eng-hbs_HR", "eng-hbs_SR", "eng-hbs_BS"}
)

#: One token of Apertium's stream format: an escaped character, a superblank ``[...]``, or text.
_TOKEN = re.compile(r"\\.|\[(?:\\.|[^\\\]])*\]|[^\\\[]+|\[", re.S)
#: How ``apertium-destxt`` ends a document: a full stop and an empty superblank.
_END = ".[]"


def split_deformatted(stream: str, n: int) -> list[str] | None:
    """``apertium-destxt``'s output of ``n`` lines cut into one document per line: each ends as
    destxt ends a document, ``.[]`` before the newline superblank (the end-of-text mark
    ``apertium-retxt`` removes; without it a pair's transfer rules wait for more words, and
    with it each line is translated exactly as if it were alone). None when the stream does not
    cut into ``n`` lines (a newline inside a wider superblank, ``a[ ~\\n]b``, say)."""
    parts: list[str] = []
    start = 0
    for m in _TOKEN.finditer(stream):
        tok = m.group()
        if tok.startswith("[") and tok.endswith("]") and "\n" in tok:
            if tok != "[\n]":
                return None  # the newline joined to other blanks: not one line's end
            body = stream[start : m.start()]
            parts.append(body + ("" if body.endswith(_END) else _END) + tok)
            start = m.end()
    if stream[start:].strip() or len(parts) != n:
        return None
    return parts


class PipelineClosed(XlnerError):
    """The pipeline was closed (by a failed call in another thread) before this call wrote."""


class Pipeline:
    """One mode's programs, kept running; :meth:`run` is thread-safe (one call at a time)."""

    def __init__(self, script: str, option: str = "-n", timeout: float = 3600.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self._proc = subprocess.Popen(
            ["bash", "-c", script, "apertium", option, ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._buffer = b""
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)

    @classmethod
    def for_mode(cls, mode_file: Path, timeout: float = 3600.0) -> Pipeline | None:
        """The null-flush pipeline of a mode file, or None when this Apertium cannot write one."""
        tool = shutil.which("apertium-wblank-mode")
        if tool is None or not mode_file.is_file():
            return None
        out = subprocess.run(
            [tool, "-z", str(mode_file)], capture_output=True, text=True, check=False
        )
        script = out.stdout.strip()
        if out.returncode != 0 or not script:
            return None
        return cls(script, timeout=timeout)

    @property
    def alive(self) -> bool:
        return self._finalizer.alive and self._proc.poll() is None

    def close(self) -> None:
        self._finalizer()

    def run(self, chunks: Sequence[str]) -> list[str]:
        """Each deformatted chunk through the pipeline, flushed on its own; the outputs in order.
        The timeout covers the whole call; on any failure the processes are killed (a
        half-read pipeline cannot be trusted with the next call)."""
        with self._lock:
            if not self.alive:
                raise PipelineClosed("the Apertium pipeline was closed")
            data = [c.encode() + b"\0" for c in chunks]
            writer = threading.Thread(target=self._write, args=(data,), daemon=True)
            writer.start()
            deadline = time.monotonic() + self.timeout
            try:
                return [self._read_one(deadline) for _ in chunks]
            except BaseException:
                self._proc.kill()  # first: unblocks a writer stuck on a full pipe
                self.close()
                raise
            finally:
                writer.join(timeout=5)

    def _write(self, data: list[bytes]) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        # a dead pipeline shows as EOF to the reader, which raises with Apertium's stderr
        with contextlib.suppress(BrokenPipeError, ValueError, OSError):
            for d in data:
                stdin.write(d)
                stdin.flush()

    def _read_one(self, deadline: float) -> str:
        stdout = self._proc.stdout
        assert stdout is not None
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise XlnerError(f"apertium did not answer within {self.timeout:.0f} s")
            ready, _, _ = select.select([stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            got = os.read(stdout.fileno(), 1 << 16)
            if not got:
                raise XlnerError(f"apertium stopped: {self._error()}")
            self._buffer += got
        out, _, self._buffer = self._buffer.partition(b"\0")
        return out.decode()

    def _error(self) -> str:
        self._proc.poll()
        size = self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, size - 4096))
        text = self._stderr.read().decode(errors="replace").strip()
        return text[-300:] or f"exit status {self._proc.returncode}"


def _stop(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    stderr.close()


def deformat(lines: Sequence[str]) -> str:
    """``apertium-destxt`` on the lines, one per line (as ``apertium`` deformats them)."""
    return _filter("apertium-destxt", "\n".join(lines) + "\n")


def reformat(stream: str) -> str:
    """``apertium-retxt`` on translated stream text."""
    return _filter("apertium-retxt", stream)


def _filter(program: str, text: str) -> str:
    proc = subprocess.run([program], input=text, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise XlnerError(f"{program} failed: {proc.stderr.strip()[:300]}")
    return proc.stdout
