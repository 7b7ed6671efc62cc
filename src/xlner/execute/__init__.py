"""Executors: run a :class:`~xlner.steps.Plan` over the corpora of several languages, chunk by
chunk, in-process (:mod:`xlner.execute.local`) or on a Ray cluster (:mod:`xlner.execute.ray`).
Both run the same step functions and give the same results."""

from __future__ import annotations

from xlner.execute.base import Backends, GivenBackends, Sink, Source, execute

__all__ = ["Backends", "GivenBackends", "Sink", "Source", "execute"]
