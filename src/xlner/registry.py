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

The same signature gives a backend's own options to the command line: ``--aligner-opt
method=argmax`` reaches the aligner's ``method`` parameter (:func:`backend_options`; the value
parsed by the parameter's annotation: ``bool``, ``int``, ``float``, ``str`` or a ``Literal``).
A factory that takes ``**options`` declares them by the class it returns.

Third-party packages add backends through entry points (spaCy's way), discovered on first use::

    [project.entry-points."xlner.aligners"]
    myaligner = "mypackage.align:MyAligner"

Groups: ``xlner.translators``, ``xlner.taggers``, ``xlner.aligners``, ``xlner.projectors``.
Built-in names win over a plugin of the same name.
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
        returned = _resolved(factory).get("return")  # ``**options`` of the class it returns
        if not isinstance(returned, type) or returned is factory:
            return dict(options)
        return {
            **accepted_options(returned, options),
            **{k: v for k, v in options.items() if k in params},
        }
    return {k: v for k, v in options.items() if k in params}


@dataclass(frozen=True)
class OptionType:
    """What a command line can give one constructor parameter: its scalar type, whether
    ``none`` is allowed, and its choices (a ``Literal``)."""

    type: type
    nullable: bool = False
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> Any:
        value = text.strip()
        if self.nullable and value.lower() == "none":
            return None
        if self.choices and value not in self.choices:
            raise ValueError(f"choose one of: {', '.join(self.choices)}")
        if self.type is bool:
            if value.lower() not in _BOOLS:
                raise ValueError("expected true or false")
            return _BOOLS[value.lower()]
        try:
            return self.type(value)
        except ValueError:
            raise ValueError(f"expected {self.type.__name__}") from None


_BOOLS = {"true": True, "1": True, "yes": True, "on": True}
_BOOLS |= {"false": False, "0": False, "no": False, "off": False}
_SCALARS: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _option_type(annotation: Any, default: Any) -> OptionType | None:
    """A parameter's :class:`OptionType`, or ``None`` when no command line can give it (an
    object such as an encoder)."""
    if annotation is inspect.Parameter.empty:
        kind = type(default)
        return OptionType(kind) if kind.__name__ in _SCALARS else None
    if isinstance(annotation, type):
        return OptionType(annotation) if annotation.__name__ in _SCALARS else None
    if isinstance(annotation, str):  # unresolved: read the text
        return _option_type_text(annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return OptionType(str, choices=tuple(str(a) for a in args))
    if args:  # a union: X | None
        kinds = [_option_type(a, default) for a in args if a is not type(None)]
        if len(kinds) == 1 and kinds[0] is not None:
            return OptionType(kinds[0].type, type(None) in args, kinds[0].choices)
    return None


def _option_type_text(annotation: str) -> OptionType | None:
    parts = [p.strip() for p in annotation.split("|")]
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1:
        return None
    nullable = len(rest) < len(parts)
    if rest[0] in _SCALARS:
        return OptionType(_SCALARS[rest[0]], nullable)
    if rest[0].startswith("Literal["):
        return OptionType(str, nullable, tuple(re.findall(r"[\"']([^\"']*)[\"']", rest[0])))
    return None


def _resolved(factory: Callable[..., Any]) -> dict[str, Any]:
    """``factory``'s annotations, resolved (postponed ones included) where possible."""
    targets: list[Any] = [factory]
    if isinstance(factory, type):
        targets.append(getattr(factory, "__init__"))  # noqa: B009 (mypy: unsound on instances)
    out: dict[str, Any] = {}
    for target in targets:
        try:
            out |= typing.get_type_hints(target)
        except Exception:  # a name only imported for type checking: take the text
            out |= getattr(target, "__annotations__", {})
    return out


def option_types(factory: Callable[..., Any]) -> dict[str, OptionType]:
    """The keyword options of ``factory`` a command line can set, by name (the first
    parameter, the model, is given by the spec). A factory with ``**options`` declares them by
    the class it returns."""
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return {}
    hints = _resolved(factory)
    out: dict[str, OptionType] = {}
    for p in params[1:]:
        if p.kind is p.VAR_KEYWORD:
            returned = hints.get("return")
            if isinstance(returned, type):
                out = {**option_types_of_class(returned), **out}
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            kind = _option_type(hints.get(p.name, p.annotation), p.default)
            if kind is not None:
                out[p.name] = kind
    return out


def option_types_of_class(cls: type) -> dict[str, OptionType]:
    """:func:`option_types` of a class built from keyword arguments only (a dataclass)."""
    hints = _resolved(cls)
    out: dict[str, OptionType] = {}
    for p in inspect.signature(cls).parameters.values():
        kind = _option_type(hints.get(p.name, p.annotation), p.default)
        if kind is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out[p.name] = kind
    return out


def backend_options(
    registry: Registry[Any], names: Iterable[str], pairs: Sequence[str], flag: str
) -> dict[str, Any]:
    """``KEY=VALUE`` pairs of ``flag`` (``--aligner-opt``) checked against the constructor
    signatures of the backends ``names`` and parsed by their annotations; a key none of them
    takes, or a value of the wrong type, is an error that lists what they accept."""
    if not pairs:
        return {}
    names = list(dict.fromkeys(names))
    accepted: dict[str, OptionType] = {}
    for name in names:
        accepted = {**option_types(registry.get(name)), **accepted}
    what = f"{registry.kind} {', '.join(names)}"
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise XlnerError(f"{flag} takes KEY=VALUE, got {pair!r}")
        if key not in accepted:
            keys = ", ".join(sorted(accepted)) or "none"
            raise XlnerError(f"{flag}: the {what} takes no {key!r}; accepted keys: {keys}")
        try:
            out[key] = accepted[key].parse(text)
        except ValueError as e:
            raise XlnerError(f"{flag} {key}={text}: {e}") from None
    return out


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
