"""Progress bars (tqdm) on stderr that stay quiet when not wanted or when stderr is not a
terminal (``disable=None``)."""

from __future__ import annotations

import sys
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
    """One bar per unit of work (sentences), whose postfix names the stage running now."""

    def __init__(self, desc: str, total: int | None, enabled: bool) -> None:
        self._bar: Any = None
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

    def stage(self, name: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(name, refresh=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> StageBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
