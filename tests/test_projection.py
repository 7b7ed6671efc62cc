from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlner.data import Alignment, Span
from xlner.project import PROJECTORS, CandidateProjector, HeuristicProjector, dice_scores
from xlner.project.candidates import ngram_candidates
from xlner.project.heuristic import aligned_runs
from xlner.project.matching import exact_match, greedy_match, objective, overlap_matrix
from xlner.project.naive import naive_ngram_greedy

ALL_METHODS = [
    "heuristic",
    "heuristic:original",
    "ngram:greedy",
    "ngram:exact",
    "ner:greedy",
    "ner:exact",
]


# ----------------------------------------------------------------- heuristic, by hand


def test_runs_and_gap_merge() -> None:
    assert aligned_runs(np.array([1, 2, 4, 7]), merge_distance=1) == [(1, 5), (7, 8)]
    assert aligned_runs(np.array([1, 2, 4, 7]), merge_distance=0) == [(1, 3), (4, 5), (7, 8)]
    assert aligned_runs(np.array([1, 4]), merge_distance=2) == [(1, 5)]


def test_gap_merge_fills_unaligned_word() -> None:
    a = Alignment.from_pairs([(0, 1), (1, 3)])
    out = HeuristicProjector().project([Span(0, 2, "ORG")], a, 2, list("abcd")).spans
    assert out == [Span(1, 4, "ORG")]
    assert (
        HeuristicProjector(merge_distance=0).project([Span(0, 2, "ORG")], a, 2, list("abcd")).spans
        == []
    )


def test_length_ratio_filter() -> None:
    # 2-word entity aligned to a single target word: ratio 0.5 is not > 0.8
    a = Alignment.from_pairs([(0, 0), (1, 0)])
    assert HeuristicProjector().project([Span(0, 2, "PER")], a, 2, ["x", "y"]).spans == []
    assert HeuristicProjector(length_ratio=0.4).project(
        [Span(0, 2, "PER")], a, 2, ["x", "y"]
    ).spans == [Span(0, 1, "PER")]


def test_collisions_overwrite_vs_keep_longer() -> None:
    # PER [0,3) -> target 0..2 ; LOC [3,4) -> target 1  (overlaps the PER run)
    a = Alignment.from_pairs([(0, 0), (1, 1), (2, 2), (3, 1)])
    src = [Span(0, 3, "PER"), Span(3, 4, "LOC")]
    over = HeuristicProjector().project(src, a, 4, list("abcd")).spans
    # tags B-PER B-LOC I-PER -> PER[0,1) LOC[1,2) PER[2,3), as the reference code's tags decode
    assert over == [Span(0, 1, "PER"), Span(1, 2, "LOC"), Span(2, 3, "PER")]
    longer = HeuristicProjector(collision="keep_longer").project(src, a, 4, list("abcd")).spans
    assert longer == [Span(0, 3, "PER")]


def test_top_k_and_original_variant() -> None:
    a = Alignment.from_pairs([(0, 0), (0, 1), (0, 4), (1, 5)])
    src = [Span(0, 2, "LOC")]
    assert HeuristicProjector(length_ratio=0.0).project(src, a, 2, list("abcdef")).spans == [
        Span(0, 2, "LOC"),
        Span(4, 6, "LOC"),
    ]
    assert HeuristicProjector(length_ratio=0.0, top_k=1).project(
        src, a, 2, list("abcdef")
    ).spans == [Span(0, 2, "LOC")]
    # original: punctuation-only target words are never part of a projection
    a2 = Alignment.from_pairs([(0, 0), (0, 1), (1, 2)])
    orig = PROJECTORS.create("heuristic:original", length_ratio=0.0, merge_distance=0)
    assert orig.project([Span(0, 2, "PER")], a2, 2, ["Ana", ",", "Paz"]).spans == [
        Span(0, 1, "PER")
    ]


# ----------------------------------------------------------------- candidates, by hand


def test_ngram_candidates_exclude_bang_question() -> None:
    st_, en = ngram_candidates(["a", "!", "c"])
    assert sorted(zip(st_.tolist(), en.tolist())) == [(0, 1), (2, 3)]
    # as in the reference, only a token that *is* ! or ? blocks: "Yahoo!" is a candidate
    st_, en = ngram_candidates(["a", "Yahoo!", "c?"])
    assert len(st_) == 6
    st_, en = ngram_candidates(list("abcd"), max_len=2, window=(1, 4))
    assert sorted(zip(st_.tolist(), en.tolist())) == [(1, 2), (1, 3), (2, 3), (2, 4), (3, 4)]


def test_greedy_vs_exact_by_hand() -> None:
    # entity 0 prefers candidate 0 (0.9) which blocks entity 1's only candidate 1 (0.8);
    # greedy takes 0.9, exact takes candidate 2 (0.85) for entity 0 and candidate 1 -> 1.65
    starts, ends = np.array([0, 1, 3]), np.array([2, 2, 4])
    s = np.array([[0.9, 0.0, 0.85], [0.0, 0.8, 0.0]])
    assert objective(greedy_match(s, starts, ends)) == pytest.approx(0.9)
    assert objective(exact_match(s, starts, ends)) == pytest.approx(1.65)


def test_ner_candidates_use_given_spans() -> None:
    a = Alignment.from_pairs([(0, 1), (1, 2)])
    cands = [Span(1, 3, "MISC"), Span(0, 1, "PER")]
    out = CandidateProjector("ner").project([Span(0, 2, "ORG")], a, 2, list("abcd"), cands).spans
    assert out == [Span(1, 3, "ORG")] and out[0].score == pytest.approx(1.0)


# ----------------------------------------------------------------- properties


@st.composite
def instances(draw: st.DrawFn, max_src: int = 10, max_tgt: int = 10) -> tuple:
    n_src = draw(st.integers(1, max_src))
    n_tgt = draw(st.integers(1, max_tgt))
    links = draw(
        st.lists(
            st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)),
            max_size=3 * max(n_src, n_tgt),
        )
    )
    spans: list[Span] = []
    i = 0
    while i < n_src:
        if draw(st.booleans()):
            j = draw(st.integers(i + 1, min(n_src, i + 3)))
            spans.append(Span(i, j, draw(st.sampled_from(["PER", "ORG", "LOC"]))))
            i = j
        i += 1
    tokens = draw(
        st.lists(st.sampled_from(["a", "b", "!", ",", "c?"]), min_size=n_tgt, max_size=n_tgt)
    )
    ner = []
    j = 0
    while j < n_tgt:
        if draw(st.booleans()):
            k = draw(st.integers(j + 1, min(n_tgt, j + 3)))
            ner.append(Span(j, k, "X"))
            j = k
        j += 1
    return spans, Alignment.from_pairs(links), n_src, tokens, ner


@settings(max_examples=150, deadline=None)
@given(instances(), st.sampled_from(ALL_METHODS))
def test_outputs_inside_and_disjoint(inst: tuple, method: str) -> None:
    spans, a, n_src, tokens, ner = inst
    out = PROJECTORS.create(method).project(spans, a, n_src, tokens, ner).spans
    for s in out:
        assert 0 <= s.start < s.end <= len(tokens)
    for x, y in itertools.combinations(out, 2):
        assert not x.overlaps(y)


@settings(max_examples=150, deadline=None)
@given(instances(), st.sampled_from(ALL_METHODS))
def test_every_entity_is_projected_or_lost_with_a_reason(inst: tuple, method: str) -> None:
    from xlner.project.base import LOST_REASONS

    spans, a, n_src, tokens, ner = inst
    res = PROJECTORS.create(method).project(spans, a, n_src, tokens, ner)
    projected = set(res.sources)
    assert projected.isdisjoint(res.lost)
    assert projected | set(res.lost) == set(range(len(spans)))
    assert set(res.lost.values()) <= set(LOST_REASONS)
    assert len(res.sources) == len(res.spans)
    for span, src in zip(res.spans, res.sources):
        assert span.label == spans[src].label
        assert span.score is not None and 0.0 <= span.score <= 1.0
    # an entity with no link at all is always lost for that reason
    linked = {i for i, _ in a}
    for k, s in enumerate(spans):
        if not any(s.start <= i < s.end for i in linked):
            assert res.lost.get(k) == "no_link"


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.data())
def test_identity_alignment_reproduces_source(n: int, data: st.DataObject) -> None:
    spans: list[Span] = []
    i = 0
    while i < n:
        if data.draw(st.booleans()):
            j = data.draw(st.integers(i + 1, min(n, i + 4)))
            spans.append(Span(i, j, data.draw(st.sampled_from(["PER", "ORG", "LOC"]))))
            i = j
        i += 1
    tokens = [f"w{i}" for i in range(n)]
    a = Alignment.from_pairs([(i, i) for i in range(n)])
    for method in ALL_METHODS:
        out = PROJECTORS.create(method).project(spans, a, n, tokens, spans).spans
        assert out == spans, method


@settings(max_examples=150, deadline=None)
@given(instances())
def test_vectorised_scores_equal_double_loop(inst: tuple) -> None:
    spans, a, _, tokens, _ = inst
    if not spans:
        return
    st_, en = ngram_candidates(tokens)
    got = dice_scores(
        a,
        np.array([s.start for s in spans]),
        np.array([s.end for s in spans]),
        st_,
        en,
        len(tokens),
    )
    for p, s in enumerate(spans):
        for q, (i, j) in enumerate(zip(st_, en)):
            k = sum(1 for x, y in a if s.start <= x < s.end and i <= y < j)
            assert got[p, q] == pytest.approx(2 * k / (len(s) + j - i))


@settings(max_examples=150, deadline=None)
@given(instances())
def test_windowed_greedy_equals_naive_dense_greedy(inst: tuple) -> None:
    spans, a, n_src, tokens, _ = inst
    fast = CandidateProjector("ngram", "greedy").project(spans, a, n_src, tokens).spans
    slow = naive_ngram_greedy(spans, a, tokens)
    assert [(s.start, s.end, s.label) for s in fast] == [(s.start, s.end, s.label) for s in slow]


def brute_force(s: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> float:
    k, m = s.shape
    ov = overlap_matrix(starts, ends)
    best = 0.0
    for assign in itertools.product(range(-1, m), repeat=k):
        chosen = [q for q in assign if q >= 0]
        if any(ov[x, y] for x, y in itertools.combinations(chosen, 2)):
            continue
        best = max(best, sum(s[p, q] for p, q in enumerate(assign) if q >= 0 and s[p, q] > 0))
    return best


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.data())
def test_exact_optimal_and_never_below_greedy(k: int, m: int, data: st.DataObject) -> None:
    starts = np.array(data.draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)))
    lens = np.array(data.draw(st.lists(st.integers(1, 3), min_size=m, max_size=m)))
    ends = starts + lens
    s = np.array(
        data.draw(
            st.lists(
                st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.7, 0.9, 1.0]), min_size=m, max_size=m),
                min_size=k,
                max_size=k,
            )
        )
    )
    g = objective(greedy_match(s, starts, ends))
    e = objective(exact_match(s, starts, ends))
    assert e >= g - 1e-9
    assert e == pytest.approx(brute_force(s, starts, ends))


def test_min_score_threshold() -> None:
    # PER: its one link lands on word 0 alone (Dice 1); LOC's two links land in words 2..4,
    # which word 1 also links into: Dice 2*2 / (2 + 3) = 0.8
    a = Alignment.from_pairs([(0, 0), (2, 2), (3, 4), (1, 4)])
    src = [Span(0, 1, "PER"), Span(2, 4, "LOC")]
    free = CandidateProjector("ngram").project(src, a, 4, list("abcdef"))
    assert [(s.start, s.end, s.label, s.score) for s in free.spans] == [
        (0, 1, "PER", 1.0),
        (2, 5, "LOC", pytest.approx(0.8)),
    ]
    for threshold, kept in ((0.7, ["PER", "LOC"]), (0.9, ["PER"])):
        res = CandidateProjector("ngram", min_score=threshold).project(src, a, 4, list("abcdef"))
        assert [s.label for s in res.spans] == kept
        assert res.lost == ({} if len(kept) == 2 else {1: "below_threshold"})


def test_bench_projection_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from xlner.cli import main

    assert (
        main(
            [
                "bench",
                "projection",
                "--sentences",
                "50",
                "--long-sentences",
                "10",
                "--naive-sentences",
                "1",
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    keys = {"heuristic", "ngram", "ngram:exact", "ner", "ner:exact"}
    assert set(out["masakhaner_like"]) == keys
    assert set(out["long"]) == keys | {"naive_reference"}
    assert all(v["sentences_per_s"] > 0 for v in out["long"].values())


def test_backtranslation_markers_roundtrip() -> None:
    from xlner.project.backtranslate import assign_labels, mark_entities, parse_marked

    words = ["John", "Smith", "visited", "New", "York", "."]
    text = mark_entities(words, [Span(0, 2, "PER"), Span(3, 5, "LOC")])
    assert text == "[John Smith] visited [New York]."
    back, segs = parse_marked("[Juan Smith] visitó [Nueva York].")
    assert back == ["Juan", "Smith", "visitó", "Nueva", "York", "."]
    assert segs == [(0, 2), (3, 5)]
    assert parse_marked("[a b visitó] c]")[1] == [(0, 3)]
    picks = assign_labels(
        ["Juan Smith", "Nueva York", "zzz"], ["Nueva York", "Juan Smith"], ["LOC", "PER"]
    )
    assert picks[0] is not None and picks[0][0] == 1 and picks[1] is not None and picks[1][0] == 0
    assert picks[2] is None
