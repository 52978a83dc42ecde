"""Re-segmentation of a document-level hypothesis onto reference segments by minimum edit distance."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mteval.corpus.resegment import is_char_level, resegment

from .conftest import ROOT

SEED = ROOT / "corpora" / "xinhua-2021-04-13"


@pytest.fixture(scope="module")
def seed() -> dict:
    sources = (SEED / "source.zh").read_text(encoding="utf-8").split("\n")[:11]
    refs = (SEED / "reference.en").read_text(encoding="utf-8").split("\n")[:11]
    doc = (SEED / "seed-mt.en.txt").read_text(encoding="utf-8")
    assert len(sources) == len(refs) == 11
    return {"sources": sources, "refs": refs, "doc": doc, "pieces": resegment(doc, refs)}


def _segment_of(sources: list[str], needle: str) -> int:
    (index,) = [i for i, s in enumerate(sources) if needle in s]
    return index


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def test_seed_gives_exactly_one_piece_per_reference_segment(seed):
    assert len(seed["pieces"]) == 11
    assert all(p.strip() for p in seed["pieces"])


def test_seed_relax_fragment_lands_with_its_source_sentence(seed):
    i = _segment_of(seed["sources"], "缓和紧张局势")
    assert seed["pieces"][i].endswith("and called on Russia to relax. intense situation.")
    assert seed["pieces"][i].startswith("In addition, according to a statement issued by the White House")
    assert sum("intense situation" in p for p in seed["pieces"]) == 1


def test_seed_split_off_fragment_lands_with_its_source_sentence(seed):
    i = _segment_of(seed["sources"], "稳定和可预测的协作关系")
    assert seed["pieces"][i].startswith("The communiqué stated that Biden said in the phone call")
    assert seed["pieces"][i].endswith("responding to global climate change. Stable and predictable collaborative "
                                      "relationship.")
    assert sum("collaborative relationship" in p for p in seed["pieces"]) == 1


def test_seed_headline_and_dateline(seed):
    headline = _segment_of(seed["sources"], "俄美总统通电话")
    dateline = _segment_of(seed["sources"], "新华社莫斯科4月13日电")
    assert seed["pieces"][headline] == ("Russian and American presidents talked over the phone to discuss bilateral "
                                        "relations and international hotspot issues")
    # The dateline sentence is split in two by the translation; both halves belong to the dateline segment.
    assert seed["pieces"][dateline].startswith("Xinhua News Agency, Moscow, April 13 (Reporter Wu Gang) Russian")
    assert seed["pieces"][dateline].endswith("on the 13th. The two sides discussed the development of Russia-US "
                                             "relations and some international hotspot issues.")
    assert seed["pieces"][-1] == "(Reporter: Liu Pinran)"


def test_seed_keeps_every_token_in_order_and_is_deterministic(seed):
    assert [w for p in seed["pieces"] for w in _words(p)] == _words(seed["doc"])
    assert resegment(seed["doc"], seed["refs"]) == seed["pieces"]


def test_seed_without_paragraph_breaks_still_places_the_fragments(seed):
    flat = re.sub(r"\s+", " ", seed["doc"]).strip()
    pieces = resegment(flat, seed["refs"])
    assert len(pieces) == 11 and [w for p in pieces for w in _words(p)] == _words(flat)
    assert pieces[_segment_of(seed["sources"], "缓和紧张局势")].endswith("to relax. intense situation.")
    assert pieces[_segment_of(seed["sources"], "稳定和可预测的协作关系")].endswith(
        "Stable and predictable collaborative relationship.")


def test_split_follows_the_reference_not_the_hypothesis_sentences():
    # Two hypothesis sentences for one reference segment, then one hypothesis sentence for two references.
    hyp = "The cat sat. It was happy. The dog ran and the bird sang."
    refs = ["The cat sat and it was happy.", "The dog ran.", "The bird sang."]
    assert resegment(hyp, refs) == ["The cat sat. It was happy.", "The dog ran and", "the bird sang."]


def test_sentence_end_wins_a_tie_and_mid_sentence_cost_zero_is_pure_edit_distance():
    hyp = "a b. c d"
    refs = ["a b c", "d"]
    # Pure edit distance: "a b . c" | "d" costs 1 (the period); after "b." it costs 2.
    assert resegment(hyp, refs, mid_sentence_cost=0) == ["a b. c", "d"]
    # Splitting inside a sentence costs 4 edits by default: the sentence break wins.
    assert resegment(hyp, refs) == ["a b.", "c d"]


def test_more_segments_than_tokens_gives_empty_pieces():
    assert resegment("Hello world", ["Hello", "", "world", "again"], mid_sentence_cost=0) == ["Hello", "", "world", ""]
    # Splitting "Hello world" costs 4 edits; deleting "Hello" and inserting it next to "world" costs 2.
    assert resegment("Hello world", ["Hello", "", "world", "again"]) == ["", "", "Hello world", ""]
    assert resegment("", ["a", "b"]) == ["", ""]
    assert resegment("   \n ", ["a"]) == [""]


def test_exactly_n_pieces_for_any_n(seed):
    for n in (1, 2, 5, 30):
        refs = (seed["refs"] * 3)[:n]
        pieces = resegment(seed["doc"], refs)
        assert len(pieces) == n
        assert [w for p in pieces for w in _words(p)] == _words(seed["doc"])


def test_no_reference_segments_is_an_error():
    with pytest.raises(ValueError):
        resegment("text", [])


def test_character_level_for_chinese():
    hyp = "今天天气很好我们去公园散步吧。晚上下雨了"
    refs = ["今天天气很好。", "我们去公园散步。", "晚上下了雨。"]
    # Without spaces there are no word tokens to split between: characters are the tokens.
    assert resegment(hyp, refs, char_level=True) == ["今天天气很好", "我们去公园散步吧。", "晚上下雨了"]
    assert len(resegment(hyp, refs, char_level=False)) == 3


def test_paragraph_breaks_inside_a_piece_become_spaces():
    assert resegment("One.\n\nTwo.\nThree.", ["One two.", "Three."]) == ["One. Two.", "Three."]


_WORD = st.text(alphabet="abcxyz", min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_WORD, min_size=1, max_size=6).map(lambda ws: " ".join(ws) + "."), min_size=1, max_size=8))
def test_property_joined_sentences_are_recovered(sentences):
    assert resegment(" ".join(sentences), sentences) == sentences


_TOKEN = st.one_of(_WORD, st.sampled_from([",", ".", "!", "?", "(", ")", "-"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_TOKEN, max_size=6).map(" ".join), min_size=1, max_size=8))
def test_property_pure_edit_distance_recovers_any_segments(segments):
    """With no sentence evidence (cost 0) a zero-edit split always exists and must be found."""
    assert resegment(" ".join(segments), segments, mid_sentence_cost=0) == segments


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab .\n", max_size=40), st.lists(st.text(alphabet="ab .", max_size=12), min_size=1,
                                                        max_size=6))
def test_property_any_input_keeps_every_token_in_order(hyp, refs):
    pieces = resegment(hyp, refs)
    assert len(pieces) == len(refs)
    assert [w for p in pieces for w in _words(p)] == _words(hyp)
    assert resegment(hyp, refs) == pieces


def _levenshtein(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for k, y in enumerate(b, 1):
            prev, row[k] = row[k], min(row[k] + 1, row[k - 1] + 1, prev + (x != y))
    return row[-1]


def _split_cost(tokens: list[tuple[str, str]], refs: list[list[str]], ends: list[int], unit: int) -> int:
    """Cost of a split (piece k = tokens[ends[k-1]:ends[k]]), independently of the module: `unit` per edit,
    4 edits + 1 for a split inside a sentence, 1 after . ! ?, 0 at a line break or either end."""
    cost, start = 0, 0
    for k, end in enumerate(ends):
        cost += unit * _levenshtein([t for t, _ in tokens[start:end]], refs[k])
        if k < len(ends) - 1 and 0 < end < len(tokens) and "\n" not in tokens[end][1]:
            cost += 1 if tokens[end - 1][0] in ".!?" else 4 * unit + 1
        start = end
    return cost


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "."]), st.sampled_from([" ", " ", "\n"])), max_size=7),
       st.lists(st.lists(st.sampled_from(["a", "b", "c", "."]), max_size=3), min_size=1, max_size=4))
def test_property_split_is_optimal_against_brute_force(tokens, refs):
    """The split found has the least cost over every way of cutting the hypothesis into len(refs) pieces."""
    import itertools

    # tokens[i] = (word, whitespace before it); the document is rebuilt from them.
    doc = "".join(sep + word for word, sep in tokens)
    pieces = resegment(doc, [" ".join(r) for r in refs])
    ends, total = [], 0
    for p in pieces:
        total += len(_words(p))
        ends.append(total)
    unit, m, n = 2 * len(refs), len(tokens), len(refs)
    best = min(_split_cost(tokens, refs, list(cut) + [m], unit)
               for cut in itertools.combinations_with_replacement(range(m + 1), n - 1))
    assert _split_cost(tokens, refs, ends, unit) == best


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="天地人和上下", min_size=1, max_size=8).map(lambda s: s + "。"), min_size=1,
                max_size=8))
def test_property_joined_chinese_sentences_are_recovered_character_level(sentences):
    assert resegment("".join(sentences), sentences, char_level=True) == sentences


def test_a_document_too_long_to_align_is_a_clear_error(monkeypatch):
    from mteval.corpus import resegment as module
    from mteval.errors import CorpusError

    monkeypatch.setattr(module, "MAX_CELLS", 50)
    with pytest.raises(CorpusError, match=r"document too long to re-segment in one piece \(8 hypothesis tokens × "
                                          r"9 reference tokens\); split it into documents"):
        resegment("one two three four five six seven eight", ["a b c d", "e f g h"])


@pytest.mark.parametrize("lang,char", [("zh", True), ("zh-Hant", True), ("zho_Hans", True), ("ja", True),
                                       ("th", True), ("en", False), ("de-CH", False)])
def test_character_level_targets(lang, char):
    assert is_char_level(lang) is char
