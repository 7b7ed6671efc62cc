from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from xlner.data import (
    Alignment,
    Sentence,
    Span,
    filter_spans,
    map_labels,
    spans_to_tags,
    tags_to_spans,
)


def seqeval_spans(tags: list[str]) -> list[Span]:
    return sorted(Span(s, e + 1, t) for t, s, e in get_entities(tags))


def test_iob2_roundtrip_simple() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]
    spans = tags_to_spans(tags)
    assert spans == [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(4, 6, "LOC")]
    assert spans_to_tags(spans, len(tags)) == tags


def test_iob1_opens_entity_like_seqeval() -> None:
    tags = ["I-PER", "I-PER", "O", "I-ORG", "I-LOC", "B-LOC"]
    assert tags_to_spans(tags) == [
        Span(0, 2, "PER"),
        Span(3, 4, "ORG"),
        Span(4, 5, "LOC"),
        Span(5, 6, "LOC"),
    ]
    assert tags_to_spans(tags) == seqeval_spans(tags)


def test_type_change_inside_entity() -> None:
    tags = ["B-PER", "I-ORG", "I-ORG", "O"]
    assert tags_to_spans(tags) == [Span(0, 1, "PER"), Span(1, 3, "ORG")]


def test_bad_tag_shape() -> None:
    with pytest.raises(ValueError, match="X-PER"):
        tags_to_spans(["X-PER"])


TAG = st.sampled_from(
    ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "E-LOC", "S-ORG", "I-ORG", "B-DATE", "E-PER"]
)


@given(st.lists(TAG, max_size=30))
def test_decoding_equals_seqeval(tags: list[str]) -> None:
    assert tags_to_spans(tags) == seqeval_spans(tags)


@given(st.lists(TAG, max_size=30))
def test_span_filter_equals_tag_filter(tags: list[str]) -> None:
    keep = {"PER", "LOC"}
    tag_level = [t if t == "O" or t[2:] in keep else "O" for t in tags]
    assert filter_spans(tags_to_spans(tags), keep) == tags_to_spans(tag_level)


def test_map_labels_drops_o() -> None:
    spans = [Span(0, 1, "PERSON"), Span(1, 2, "DATE"), Span(2, 3, "LOC")]
    assert map_labels(spans, {"PERSON": "PER", "DATE": None}) == [
        Span(0, 1, "PER"),
        Span(2, 3, "LOC"),
    ]


def test_spans_to_tags_rejects_overlap() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        spans_to_tags([Span(0, 2, "PER"), Span(1, 3, "LOC")], 4)


def test_span_validation_and_score_not_compared() -> None:
    with pytest.raises(ValueError):
        Span(2, 2, "PER")
    assert Span(0, 1, "PER", 0.3) == Span(0, 1, "PER", 0.9)


def test_alignment_normalises_and_converts() -> None:
    a = Alignment.from_pairs([(1, 2), (0, 0), (1, 2)])
    assert a.as_set() == {(0, 0), (1, 2)}
    assert a.to_pharaoh() == "0-0 1-2"
    assert Alignment.from_pharaoh("1-2 0-0") == a
    m = a.to_matrix(2, 3)
    assert m.sum() == 2 and m[1, 2]
    assert Alignment.from_matrix(m) == a
    assert a.reversed().as_set() == {(0, 0), (2, 1)}
    with pytest.raises(ValueError):
        a.to_matrix(1, 1)
    assert len(Alignment(np.zeros((0, 2)))) == 0


def test_sentence_tags() -> None:
    s = Sentence(["a", "b", "c"], [Span(1, 3, "ORG")])
    assert s.tags() == ["O", "B-ORG", "I-ORG"]
