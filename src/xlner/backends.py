"""What runs a plan's steps: the backend of each role, typed per role.

:class:`RoleBackends` declares ``backend(role)`` once, with one overload per kind of role (a
translator, a tagger, an aligner, the projectors, nothing for reading a parallel sentence);
:class:`~xlner.stages.Stages` (built from a config), :class:`~xlner.execute.base.GivenBackends`
(objects given directly) and the stage threads' shared view implement ``_backend``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, overload

from xlner.methods import Method
from xlner.steps import Role

if TYPE_CHECKING:
    from xlner.align.base import Aligner
    from xlner.step_functions import Backend, Projectors
    from xlner.tag.base import Tagger
    from xlner.translate.base import Translator

TaggerRole = Literal["source_tagger", "mt_tagger", "candidate_tagger"]


class RoleBackends:
    """The backend a step of each role runs with; subclasses implement :meth:`_backend`."""

    @overload
    def backend(
        self, role: Literal["translator"], methods: Iterable[Method] = ()
    ) -> Translator: ...
    @overload
    def backend(self, role: TaggerRole, methods: Iterable[Method] = ()) -> Tagger: ...
    @overload
    def backend(self, role: Literal["aligner"], methods: Iterable[Method] = ()) -> Aligner: ...
    @overload
    def backend(
        self, role: Literal["projectors"], methods: Iterable[Method] = ()
    ) -> Projectors: ...
    @overload
    def backend(self, role: Literal["data"], methods: Iterable[Method] = ()) -> None: ...
    @overload
    def backend(self, role: Role, methods: Iterable[Method] = ()) -> Backend: ...
    def backend(self, role: Role, methods: Iterable[Method] = ()) -> Backend:
        return self._backend(role, methods)

    def _backend(self, role: Role, methods: Iterable[Method]) -> Backend:
        raise NotImplementedError
