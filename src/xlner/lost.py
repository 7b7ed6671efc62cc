"""The lost-entity report: every source entity a projection did not project, with the reason,
one JSON object per line (``lost/<lang>/<method>.jsonl``, ``OUTPUT.lost.jsonl``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any

from xlner.batch import Batch


def lost_record(b: Batch, i: int, ent: int, why: str) -> dict[str, Any]:
    """One lost entity of sentence ``i`` of the batch, for a person to read."""
    span = (b.src_spans or [])[i][ent]
    words = (b.src_words or [])[i]
    return {
        "id": b.sentences[i].id,
        "sentence": b.start + i,
        "entity": " ".join(words[span.start : span.end]),
        "label": span.label,
        "start": span.start,
        "end": span.end,
        "score": span.score,
        "reason": why,
        "source": " ".join(words),
        "target": " ".join((b.tgt_words or [])[i]),
    }


def write_lost(fh: IO[str] | None, b: Batch, method: str) -> Counter[str]:
    """Write the batch's lost entities of ``method`` to ``fh`` (if any); counts per reason."""
    counts: Counter[str] = Counter()
    for i, lost in enumerate(b.lost.get(method, [])):
        for ent, why in sorted(lost.items()):
            counts[why] += 1
            if fh is not None:
                fh.write(json.dumps(lost_record(b, i, ent, why), ensure_ascii=False) + "\n")
    return counts
