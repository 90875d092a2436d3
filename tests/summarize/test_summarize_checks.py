"""Each section check passes good input and fails the input it is meant to catch."""

from __future__ import annotations

import pytest
from test_summarize_fixtures import hf_items

from aidigest.report import SectionSummary, SummaryPoint
from aidigest.summarize.checks import (
    SectionInvariantError,
    check_citations,
    check_copy,
    check_filler,
    check_language,
    check_parts,
    check_summary,
    check_tldrs,
    final_guard,
)
from aidigest.summarize.i18n import language_check

P = SummaryPoint
ITEMS = hf_items()[:3]  # the first three papers of the recording: OmniScope, β-OPSD, Geometric MoE routing
SNIPPETS = [it.snippet for it in ITEMS]


def good_ko() -> tuple[SectionSummary, list[str]]:
    s = SectionSummary(
        themes=[P(text="멀티모달 모델의 토큰 압축과 전문가 혼합(MoE) 구조 개선이 주요 주제다.", cites=[1, 3])],
        events=[
            P(text="OmniScope는 오디오와 비디오 토큰을 따로 압축하는 학습 없는 방법을 제안했다.", cites=[1]),
            P(text="β-OPSD는 정책 최적화와 자기 증류를 결합한 학습 방법을 제시했다.", cites=[2]),
        ],
        impact=[P(text="OmniScope는 토큰을 25%만 남기고도 프리필 속도를 최대 3.53배 높였다고 보고했다.", cites=[1])],
        bottom_line=[P(text="효율적인 추론과 학습 신호 설계가 이날 논문들의 공통 관심사였다.", cites=[1, 2, 3])],
        method="llm",
    )
    tldrs = [
        "오디오·비디오 토큰을 모달리티별로 압축해 옴니모달 LLM을 빠르게 만든다.",
        "정책 최적화로 유도하고 자기 증류로 학습하는 새로운 방법이다.",
        "희소 MoE에서 전문가 간 겹침이 어떤 역할을 하는지 분석한다.",
    ]
    return s, tldrs


def test_good_korean_section_passes_every_check():
    s, tldrs = good_ko()
    assert check_summary(s, tldrs, 3, "ko", SNIPPETS) == []
    final_guard(s, tldrs, 3)


def test_parts_missing_fails():
    s, tldrs = good_ko()
    s.impact = []
    f = check_summary(s, tldrs, 3, "ko", SNIPPETS)
    assert [x.code for x in f] == ["parts"] and "impact" in f[0].detail


def test_blank_point_fails_as_empty():
    s, _ = good_ko()
    s.events.append(P(text="  [2] ", cites=[2]))
    assert [x.code for x in check_parts(s)] == ["empty"]


@pytest.mark.parametrize(
    "point",
    [P(text="근거 없는 주장이다.", cites=[]), P(text="범위를 벗어난 인용이다.", cites=[4]), P(text="본문 속 [7] 인용도 검사한다.", cites=[1])],
)
def test_bad_citations_fail(point):
    s, tldrs = good_ko()
    s.events.append(point)
    assert [x.code for x in check_citations(s, 3)] == ["citations"]
    assert check_summary(s, tldrs, 3, "ko", SNIPPETS)[0].code == "citations"


def test_english_text_in_a_korean_report_fails_the_language_check():
    s, tldrs = good_ko()
    for part in s.parts():
        for p in part:
            p.text = "This paper proposes a training-free token compression method for omnimodal models."
    assert [x.code for x in check_language(s, "ko")] == ["language"]
    assert check_summary(s, tldrs, 3, "ko", SNIPPETS)[0].code == "language"
    # ... and the same English text is right for an English report
    assert check_language(s, "en") == []


def test_language_rules_for_other_scripts():
    assert language_check("大規模言語モデルの新しい評価方法を提案する。", "ja")[0]
    assert not language_check("大规模语言模型的新评估方法。", "ja")[0]  # no kana: Chinese, not Japanese
    assert language_check("大规模语言模型的新评估方法。", "zh")[0]
    assert not language_check("대규모 언어 모델의 새로운 평가 방법", "en")[0]
    assert language_check("Ein neues Verfahren für Sprachmodelle", "de")[0]
    assert language_check("anything at all", "xx")[0]  # no rule for unknown languages: passes


def test_copy_of_an_abstract_fails():
    s, tldrs = good_ko()
    for p in s.events:
        p.text = SNIPPETS[0][:600]
    s.themes[0].text = SNIPPETS[0][600:900]
    assert [x.code for x in check_copy(s, SNIPPETS)] == ["copy"]
    # a copy in English still fails in an English report, where the language check passes
    assert check_summary(s, tldrs, 3, "en", SNIPPETS)[0].code == "copy"


def test_generic_impact_filler_fails():
    s, _ = good_ko()
    s.impact = [P(text="이 기술은 경제, 정치, 사회, 환경 전반에 영향을 미칠 것이다.", cites=[1])]
    assert [x.code for x in check_filler(s)] == ["filler"]
    s.impact = [
        P(text="경제: 개발 비용 절감 효과를 기대할 수 있다.", cites=[1]),
        P(text="사회적 영향: 개발자 커뮤니티의 접근성이 높아진다.", cites=[2]),
    ]
    assert [x.code for x in check_filler(s)] == ["filler"]
    s.impact = [P(text="Economic impact: lower costs.", cites=[1]), P(text="Social impact: more access.", cites=[2])]
    assert [x.code for x in check_filler(s)] == ["filler"]


def test_tldr_checks():
    _, tldrs = good_ko()
    assert [x.code for x in check_tldrs(tldrs[:2], 3, "ko", SNIPPETS)] == ["tldr"]
    assert [x.code for x in check_tldrs([tldrs[0], "", tldrs[2]], 3, "ko", SNIPPETS)] == ["tldr"]
    english = ["A training-free token compression method.", "A new training recipe.", "An analysis of experts."]
    assert [x.code for x in check_tldrs(english, 3, "ko", SNIPPETS)] == ["tldr_language"]
    first_sentence = SNIPPETS[1].split(". ")[0] + "."
    copied = ["A short one.", first_sentence, "Another short one."]
    assert [x.code for x in check_tldrs(copied, 3, "en", SNIPPETS)] == ["tldr_copy"]
    assert check_tldrs(["A short one.", "Policy optimization derives, self-distillation trains.", "Experts overlap."], 3, "en", SNIPPETS) == []


def test_final_guard_rejects_empty_or_broken_sections():
    s, tldrs = good_ko()
    empty = SectionSummary(themes=[], events=[], impact=[], bottom_line=[], method="extractive")
    with pytest.raises(SectionInvariantError):
        final_guard(empty, tldrs, 3)
    with pytest.raises(SectionInvariantError):
        final_guard(s, tldrs[:1], 3)
    s.bottom_line = [P(text="범위를 벗어난 인용", cites=[9])]
    with pytest.raises(SectionInvariantError):
        final_guard(s, tldrs, 3)
    with pytest.raises(SectionInvariantError):
        final_guard(good_ko()[0], [], 0)
