"""One registry pattern for every pluggable stage, chosen on the command line as ``NAME[:MODEL]``.

Entries are registered as ``"module:attribute"`` strings so that naming a backend imports its
heavy dependencies (torch, spaCy) only when it is used::

    TRANSLATORS.register("apertium", "xlner.translate.apertium:ApertiumTranslator")
    translator = TRANSLATORS.create("hf:facebook/nllb-200-distilled-600M", batch_size=16)

A factory is called as ``factory(model, **options)`` where ``model`` is the text after the
first ``:`` (``None`` when absent). **A backend declares its options by its signature**: a
factory receives only the run options its signature names (``device``, ``batch_size``,
``layer``, ``show_progress``, ``seed``, ...), so a new aligner that takes ``layer`` gets
``--layer`` from the command line with no change elsewhere. An option the user set explicitly
that the chosen backend does not take is an error, not silently dropped.

Third-party packages add backends through entry points (spaCy's way), discovered on first use::

    [project.entry-points."xlner.aligners"]
    myaligner = "mypackage.align:MyAligner"

Groups: ``xlner.translators``, ``xlner.taggers``, ``xlner.aligners``, ``xlner.projectors``.
Built-in names win over a plugin of the same name.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from xlner.errors import XlnerError, suggest

T = TypeVar("T")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``NAME[:MODEL]``; the model may itself contain ``:`` (paths, hub revisions)."""
    name, sep, model = spec.strip().partition(":")
    return name.strip().lower(), (model.strip() or None) if sep else None


def accepted_options(factory: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``options`` that ``factory``'s signature takes (all, with ``**kwargs``)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return dict(options)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    return {k: v for k, v in options.items() if k in params}


class Registry(Generic[T]):
    """Named factories for one kind of stage (translator, tagger, aligner, projector)."""

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group  # entry-point group of third-party backends
        self._entries: dict[str, str | Callable[..., T]] = {}
        self._help: dict[str, str] = {}
        self._plugins_loaded = group is None

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

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group or ""):
            if ep.name not in self._entries:
                self._entries[ep.name] = ep.value
                self._help[ep.name] = f"plugin ({ep.value})"

    def refresh(self) -> None:
        """Look for entry-point plugins again (after a package was installed in this process)."""
        self._plugins_loaded = self.group is None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def get(self, name: str) -> Callable[..., T]:
        self._load_plugins()
        try:
            entry = self._entries[name]
        except KeyError:
            raise XlnerError(
                f"unknown {self.kind} {name!r}{suggest(name, self.names())}; choose one of: "
                f"{', '.join(self.names())}"
            ) from None
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            try:
                entry = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as e:
                raise XlnerError(
                    f"{self.kind} {name!r} cannot be loaded from {entry}: {e}"
                ) from None
        return entry

    def create(
        self,
        spec: str,
        options: Mapping[str, Any] | None = None,
        *,
        explicit: Iterable[str] = (),
        **kwargs: Any,
    ) -> T:
        """Build the stage named by ``NAME[:MODEL]``: ``options`` (run options) are passed when
        the factory takes them; ``kwargs`` (a caller's own arguments) always.

        ``explicit`` names options the user set on purpose: one the factory does not take is an
        error naming the backend."""
        name, model = parse_spec(spec)
        factory = self.get(name)
        opts = dict(options or {})
        taken = accepted_options(factory, opts)
        refused = [k for k in explicit if k in opts and k not in taken]
        if refused:
            flags = ", ".join("--" + k.replace("_", "-") for k in refused)
            raise XlnerError(f"{self.kind} {name!r} takes no {flags}")
        return factory(model, **{**taken, **kwargs})
