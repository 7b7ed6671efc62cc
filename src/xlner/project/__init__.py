"""Projection: given source entities, a target sentence and a word alignment, decide the
target entities. Pure functions on arrays (numpy/scipy only); no model calls inside."""

from __future__ import annotations

from xlner.project.base import PROJECTORS, Projector, project_batch
from xlner.project.candidates import CandidateProjector, ngram_candidates
from xlner.project.heuristic import HeuristicProjector
from xlner.project.matching import exact_match, greedy_match
from xlner.project.scores import dice_scores

__all__ = [
    "PROJECTORS",
    "CandidateProjector",
    "HeuristicProjector",
    "Projector",
    "dice_scores",
    "exact_match",
    "greedy_match",
    "ngram_candidates",
    "project_batch",
]
