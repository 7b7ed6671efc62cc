"""``xlner serve``: tag text over HTTP with any method, models loaded once per process.

A third executor of the same :class:`~xlner.steps.Plan`: documents become sentences
(tokenised exactly as ``xlner tag`` reads plain text), concurrent requests are coalesced by
:class:`~xlner.serve.batcher.MicroBatcher` into one :class:`~xlner.batch.Batch` per language
and method, and the batch runs through the plan's steps with
:func:`~xlner.execute.base.run_steps` on the :class:`~xlner.stages.Stages` built at start-up.
There is no pipeline code here: :mod:`~xlner.serve.service` turns documents into sentences and
finished batches into answers, :mod:`~xlner.serve.app` is the HTTP layer (FastAPI).

Modules import no FastAPI at package import; :mod:`~xlner.serve.app` does.
"""
