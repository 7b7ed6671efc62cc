from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seqeval.metrics import classification_report

from xlner.data import Sentence, Span, tags_to_spans
from xlner.errors import XlnerError
from xlner.evaluate import evaluate, score_spans


def seqeval_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    return classification_report(gold, pred, output_dict=True, zero_division=0)


def test_hand_checked_cases() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]]
    # partial overlap (PER too short), wrong type (LOC->ORG), IOB1 prediction for ORG
    pred = [["B-PER", "O", "O", "B-ORG"], ["I-ORG", "I-ORG", "I-ORG", "O"]]
    s = score_spans([tags_to_spans(g) for g in gold], [tags_to_spans(p) for p in pred], labels=None)
    assert s.overall.correct == 1 and s.overall.predicted == 3 and s.overall.support == 3
    assert s.overall.f1 == pytest.approx(1 / 3)
    ref = seqeval_scores(gold, pred)
    assert s.overall.f1 == pytest.approx(ref["micro avg"]["f1-score"])
    for lab in ("PER", "ORG", "LOC"):
        assert s.per_label[lab].f1 == pytest.approx(ref[lab]["f1-score"])
        assert s.per_label[lab].support == ref[lab]["support"]


def test_reference_protocol_ignores_date_and_misc() -> None:
    gold = [Sentence(["a", "b", "c"], [Span(0, 1, "PER"), Span(1, 2, "DATE")])]
    pred = [Sentence(["a", "b", "c"], [Span(0, 1, "PER"), Span(2, 3, "MISC")])]
    s = evaluate(gold, pred)
    assert s.overall.f1 == 1.0 and "DATE" not in s.per_label and "MISC" not in s.per_label


def test_proj_ratio() -> None:
    gold = [[Span(0, 1, "PER"), Span(2, 3, "LOC")], [], [Span(0, 1, "ORG")]]
    pred = [[Span(0, 1, "PER")], [Span(0, 1, "PER")], [Span(0, 1, "ORG"), Span(1, 2, "ORG")]]
    assert score_spans(gold, pred).proj_ratio == pytest.approx((0.5 + 2.0) / 2)


def test_mismatch_names_sentence() -> None:
    with pytest.raises(XlnerError, match=r"sentence 2 .*first difference at token 1"):
        evaluate([Sentence(["a"]), Sentence(["b"])], [Sentence(["a"]), Sentence(["c"])])


TAG = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])


@given(
    st.lists(st.integers(1, 8), min_size=1, max_size=6).flatmap(
        lambda lens: st.tuples(
            *[
                st.tuples(
                    st.lists(TAG, min_size=n, max_size=n), st.lists(TAG, min_size=n, max_size=n)
                )
                for n in lens
            ]
        )
    )
)
def test_equals_seqeval_random(pairs: tuple) -> None:
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    s = score_spans([tags_to_spans(g) for g in gold], [tags_to_spans(p) for p in pred], labels=None)
    ref = seqeval_scores(gold, pred)
    if "micro avg" in ref:
        assert s.overall.f1 == pytest.approx(ref["micro avg"]["f1-score"])
        assert s.overall.precision == pytest.approx(ref["micro avg"]["precision"])
        assert s.overall.recall == pytest.approx(ref["micro avg"]["recall"])
