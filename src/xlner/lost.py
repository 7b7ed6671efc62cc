"""The lost-entity report: every source entity a projection did not project, with the reason
(``lost/<lang>/<method>.jsonl``, ``OUTPUT.lost.jsonl``).

One JSON object per line, one line per sentence that lost entities: the sentence (its id,
position, source and target words) once, and its lost entities under ``"lost"``, each with its
words, label, span, score and reason — a long sentence is not repeated for each entity.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any

from xlner.batch import Batch
from xlner.project.base import LostReason


def lost_entity(b: Batch, i: int, ent: int, why: str) -> dict[str, Any]:
    """One lost entity of sentence ``i`` of the batch."""
    span = (b.src_spans or [])[i][ent]
    words = (b.src_words or [])[i]
    return {
        "entity": " ".join(words[span.start : span.end]),
        "label": span.label,
        "start": span.start,
        "end": span.end,
        "score": span.score,
        "reason": why,
    }


def lost_record(b: Batch, i: int, lost: dict[int, LostReason]) -> dict[str, Any]:
    """Sentence ``i`` of the batch and its lost entities, for a person to read."""
    return {
        "id": b.sentences[i].id,
        "sentence": b.start + i,
        "source": " ".join((b.src_words or [])[i]),
        "target": " ".join((b.tgt_words or [])[i]),
        "lost": [lost_entity(b, i, ent, why) for ent, why in sorted(lost.items())],
    }


def write_lost(fh: IO[str] | None, b: Batch, method: str) -> Counter[str]:
    """Write the batch's lost entities of ``method`` to ``fh`` (if any), one line per sentence
    that lost any; counts per reason."""
    counts: Counter[str] = Counter()
    for i, lost in enumerate(b.lost.get(method, [])):
        if not lost:
            continue
        counts.update(lost.values())
        if fh is not None:
            fh.write(json.dumps(lost_record(b, i, lost), ensure_ascii=False) + "\n")
    return counts
