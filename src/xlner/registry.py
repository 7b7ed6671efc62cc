"""One registry pattern for every pluggable stage, chosen on the command line as ``NAME[:MODEL]``.

Entries are registered as ``"module:attribute"`` strings so that naming a backend imports its
heavy dependencies (torch, spaCy) only when it is used::

    TRANSLATORS.register("apertium", "xlner.translate.apertium:ApertiumTranslator")
    translator = TRANSLATORS.create("hf:facebook/nllb-200-distilled-600M", batch_size=16)

A factory is called as ``factory(model, **options)`` where ``model`` is the text after the
first ``:`` (``None`` when absent).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from xlner.errors import XlnerError

T = TypeVar("T")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``NAME[:MODEL]``; the model may itself contain ``:`` (paths, hub revisions)."""
    name, sep, model = spec.strip().partition(":")
    return name.strip().lower(), (model.strip() or None) if sep else None


class Registry(Generic[T]):
    """Named factories for one kind of stage (translator, tagger, aligner, projector)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, str | Callable[..., T]] = {}
        self._help: dict[str, str] = {}

    def register(
        self, name: str, target: str | Callable[..., T] | None = None, help: str = ""
    ) -> Any:
        """Register ``target`` (a callable or a lazy ``"module:attr"``); usable as a decorator."""
        if target is None:

            def deco(obj: Callable[..., T]) -> Callable[..., T]:
                self._entries[name] = obj
                self._help[name] = help
                return obj

            return deco
        self._entries[name] = target
        self._help[name] = help
        return target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def get(self, name: str) -> Callable[..., T]:
        try:
            entry = self._entries[name]
        except KeyError:
            raise XlnerError(
                f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}"
            ) from None
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            entry = getattr(importlib.import_module(module), attr)
        return entry

    def create(self, spec: str, **options: Any) -> T:
        """Build the stage named by ``NAME[:MODEL]`` with keyword ``options``."""
        name, model = parse_spec(spec)
        return self.get(name)(model, **options)
