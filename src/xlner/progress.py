"""Progress bars (tqdm) on stderr that stay quiet when not wanted or when stderr is not a
terminal (``disable=None``)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], desc: str = "", enabled: bool = True, total: int | None = None
) -> Iterator[T]:
    if not enabled:
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(
        items,
        desc=desc,
        total=total,
        leave=False,
        file=sys.stderr,
        disable=None,
        dynamic_ncols=True,
    )


class StageBar:
    """One bar per unit of work (sentences), whose postfix names the stage running now — in
    each of several threads (``slot``), when stage threads share the bar."""

    def __init__(self, desc: str, total: int | None, enabled: bool) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self._running: dict[int, str] = {}
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                desc=desc,
                total=total,
                unit="sent",
                leave=False,
                file=sys.stderr,
                disable=None,
                dynamic_ncols=True,
            )

    def stage(self, name: str, slot: int = 0) -> None:
        if self._bar is not None:
            with self._lock:
                self._running[slot] = name
                shown = " | ".join(self._running[k] for k in sorted(self._running))
                self._bar.set_postfix_str(shown, refresh=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(n)

    def __enter__(self) -> StageBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
