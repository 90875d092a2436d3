"""Report-language strings, shared by the summarizers and the renderer (script detection: aidigest.text).

Headings and connective text exist for ko, en, ja, zh, de, fr, es. Any other language code still works:
the LLM is asked to write in it, and the fixed strings fall back to English (`strings(lang).fallback` is
True so the report can say so). Script checks (aidigest.text's `language_check`) back the summary language check.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

# the script-based language helpers live in the leaf text module; the summarizers import them from here
from ..text import guess_text_language as guess_text_language
from ..text import language_check as language_check

# ---- language names (for prompts and the extractive label) ------------------------------------------
LANGUAGE_NAMES_EN: dict[str, str] = {
    "ko": "Korean", "en": "English", "ja": "Japanese", "zh": "Chinese", "de": "German", "fr": "French",
    "es": "Spanish", "it": "Italian", "pt": "Portuguese", "ru": "Russian", "vi": "Vietnamese",
}

# name of language X written in report language L: _NAMES_IN[L][X]
_NAMES_IN: dict[str, dict[str, str]] = {
    "ko": {"ko": "한국어", "en": "영어", "ja": "일본어", "zh": "중국어", "de": "독일어", "fr": "프랑스어", "es": "스페인어"},
    "ja": {"ko": "韓国語", "en": "英語", "ja": "日本語", "zh": "中国語", "de": "ドイツ語", "fr": "フランス語", "es": "スペイン語"},
    "zh": {"ko": "韩语", "en": "英语", "ja": "日语", "zh": "中文", "de": "德语", "fr": "法语", "es": "西班牙语"},
    "de": {"ko": "Koreanisch", "en": "Englisch", "ja": "Japanisch", "zh": "Chinesisch", "de": "Deutsch", "fr": "Französisch", "es": "Spanisch"},
    "fr": {"ko": "coréen", "en": "anglais", "ja": "japonais", "zh": "chinois", "de": "allemand", "fr": "français", "es": "espagnol"},
    "es": {"ko": "coreano", "en": "inglés", "ja": "japonés", "zh": "chino", "de": "alemán", "fr": "francés", "es": "español"},
}


# what people type for a language instead of its ISO 639-1 code: country codes and ISO 639-2/3 codes
_MISTAKEN_CODES = {
    "kr": "ko", "kor": "ko", "jp": "ja", "jpn": "ja", "cn": "zh", "chn": "zh", "zho": "zh", "chi": "zh", "tw": "zh",
    "us": "en", "uk": "en", "gb": "en", "eng": "en", "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es",
    "ita": "it", "br": "pt", "por": "pt", "rus": "ru", "vn": "vi", "vie": "vi",
}


def suggest_language(value: str) -> str | None:
    """The known language code a user most likely meant by `value` ("kr" -> "ko", "Korean" or "한국어" -> "ko",
    "zh-CN" -> "zh", "en_US" -> "en", "fe" -> "fr"...), None when nothing is close."""
    v = value.strip().lower().replace("_", "-")
    if v in LANGUAGE_NAMES_EN:
        return v
    if v in _MISTAKEN_CODES:
        return _MISTAKEN_CODES[v]
    if "-" in v and v.split("-")[0] in LANGUAGE_NAMES_EN:  # a locale: zh-cn, en-us
        return v.split("-")[0]
    names = {name.lower(): code for code, name in LANGUAGE_NAMES_EN.items()}
    for by_lang in _NAMES_IN.values():
        names.update({name.lower(): code for code, name in by_lang.items()})
    if v in names:
        return names[v]
    if len(v) <= 3:  # a mistyped code: one letter off ("fe" -> "fr")
        close = difflib.get_close_matches(v, list(LANGUAGE_NAMES_EN), n=1, cutoff=0.5)
        return close[0] if close else None
    close = difflib.get_close_matches(v, list(names), n=1, cutoff=0.75)  # a misspelt name ("englsh")
    return names[close[0]] if close else None


def language_name(code: str, in_lang: str = "en") -> str:
    """Name of language `code` written in language `in_lang` (English names as the fallback)."""
    names = _NAMES_IN.get(in_lang)
    if names and code in names:
        return names[code]
    return LANGUAGE_NAMES_EN.get(code, code)


@dataclass(frozen=True)
class Strings:
    parts: tuple[str, str, str, str]  # themes, events, impact, bottom line
    summary: str
    sources: str
    tldr: str
    more: str
    more_count: str  # "... and {n} more"
    returning: str
    returning_line: str  # "{was} on {day} -> {now} now"
    run_health: str
    extractive_label: str  # {lang}: the language of the quoted sentences
    extractive_label_same: str  # quoted sentences are already in the report language
    url_refused: str
    # extractive connective text
    recurring_term: str  # {term} {n}
    top_items: str  # {n} {k}
    most_attention: str  # {title}
    lead_item: str  # {title}: the top-ranked item when no item has attention signals
    keywords: str  # {terms}: an item's rarest title words, when items share no topic
    attention: str  # {signals}: attention of the only item of a category
    reported_by: str  # {hosts}
    all_items: str  # {n}: the category's items are all listed
    # signals
    hn: str  # {points}
    comments: str  # {n}
    upvotes: str  # {n}
    n_sources: str  # {n}
    # run health
    h_sources: str
    h_status: str
    h_items: str
    h_error: str
    h_fallbacks: str
    h_none: str
    h_others: str
    h_repeats: str
    h_returning: str
    h_listed: str  # {full} {compact} {counted}
    h_llm: str
    h_llm_line: str  # provider calls cached failed tokens_in tokens_out cost
    h_budget: str
    h_unpriced: str
    h_notes: str
    h_lang_fallback: str
    chart_title: str  # {kind} {day}
    chart_top: str
    no_items: str
    fallback: bool = False
    h_llm_per_item: str = "{tin} tokens in, {tout} tokens out per item ({items} items)"
    h_counts: str = "Counts"  # heading of the run-health counts (listed, left out, skipped, LLM)
    # LLM categories checked against the offline classifier (aidigest.classify.check)
    h_checks: str = ("LLM categories checked against the offline classifier: {n} strong disagreement(s)"
                     " (asked again: {fixed} corrected by the LLM, {offline} given the offline category)")
    h_checks_none: str = "LLM categories checked against the offline classifier: no strong disagreement"
    h_checks_label: str = "LLM categories disputed by the offline classifier"
    h_check_line: str = "“{title}”: LLM {llm} → {final} (offline classifier: {offline}, confidence {conf} · asked again: {second})"
    h_check_no_answer: str = "no valid answer"


_EN = Strings(
    parts=("Key themes", "Key events", "Impact", "Bottom line"),
    summary="Summary",
    sources="Sources",
    tldr="TL;DR",
    more="More in this category",
    more_count="… and {n} more",
    returning="🔁 Still trending",
    returning_line="{was} when reported on {day}, {now} now",
    run_health="🩺 Run health",
    extractive_label="(Extractive summary: sentences quoted from the {lang} sources, no LLM)",
    extractive_label_same="(Extractive summary: sentences quoted from the sources, no LLM)",
    url_refused="link removed: unsafe URL",
    recurring_term="Recurring topic “{term}” in {n} items",
    top_items="{n} items in this category today; the top {k} are listed below",
    most_attention="Most attention: {title}", lead_item="Top-ranked item: {title}", keywords="Keywords: {terms}", attention="Attention: {signals}", reported_by="Reported by {hosts}", all_items="{n} items in this category today",
   
    hn="HN {points} points",
    comments="{n} comments",
    upvotes="{n} HF upvotes",
    n_sources="{n} sources",
    h_sources="Sources",
    h_status="status",
    h_items="items",
    h_error="error",
    h_fallbacks="Fallbacks",
    h_none="none",
    h_others="Left out as `others` (not about AI/computing)",
    h_repeats="Skipped as already reported in the last {days} days",
    h_returning="Returned as still trending",
    h_listed="Listed: {full} in full, {compact} compactly, {counted} counted only",
    h_llm="LLM",
    h_llm_line="provider {provider}: {calls} calls, {cached} cached, {failed} failed, {tin} tokens in, {tout} tokens out, ${cost}",
    h_budget="budget reached: later LLM work ran offline", h_unpriced="model not in the price table: cost unknown",
    h_notes="Notes",
    h_lang_fallback="(report strings are in English: no translation for '{lang}')",
    chart_title="Items per category — {kind} {day}", chart_top="Top item", no_items="No items to report for this day.",
)

_KO = Strings(
    parts=("주요 주제", "주요 사건", "영향 분석", "최종 요약"),
    summary="요약",
    sources="출처",
    tldr="한 줄 요약",
    more="이 분야의 다른 소식",
    more_count="… 외 {n}건",
    returning="🔁 계속 주목받는 소식",
    returning_line="{day} 보고 당시 {was} → 현재 {now}",
    run_health="🩺 실행 상태",
    extractive_label="(추출 요약: {lang} 원문 문장을 그대로 발췌했습니다. LLM 미사용)",
    extractive_label_same="(추출 요약: 원문 문장 발췌, LLM 미사용)",
    url_refused="안전하지 않은 URL이라 링크 생략",
    recurring_term="반복해서 등장한 주제 “{term}” ({n}건)",
    top_items="오늘 이 분야 {n}건, 상위 {k}건을 아래에 정리",
    most_attention="가장 주목받은 항목: {title}", lead_item="상위 항목: {title}", keywords="핵심어: {terms}", attention="관심도: {signals}", reported_by="보도: {hosts}", all_items="오늘 이 분야 {n}건",
   
    hn="HN {points}점",
    comments="댓글 {n}개",
    upvotes="HF 추천 {n}개",
    n_sources="출처 {n}곳",
    h_sources="수집 출처",
    h_status="상태",
    h_items="항목",
    h_error="오류",
    h_fallbacks="대체 경로",
    h_none="없음",
    h_others="AI·컴퓨팅과 무관해 제외(`others`)",
    h_repeats="최근 {days}일 안에 이미 보고되어 생략",
    h_returning="계속 주목받아 다시 소개",
    h_listed="수록: 상세 {full}건, 간단 목록 {compact}건, 개수만 {counted}건",
    h_llm="LLM",
    h_llm_line="제공자 {provider}: 호출 {calls}회, 캐시 {cached}회, 실패 {failed}회, 입력 토큰 {tin}, 출력 토큰 {tout}, 비용 ${cost}",
    h_budget="예산 한도 도달: 이후 LLM 작업은 오프라인으로 처리", h_llm_per_item="항목당 입력 토큰 {tin}, 출력 토큰 {tout} (항목 {items}개)", h_unpriced="가격표에 없는 모델: 비용 미상",
    h_notes="참고", h_counts="집계",
    h_checks="LLM 분류 점검: 오프라인 분류기와 크게 엇갈린 항목 {n}건 (다시 물어 LLM이 고친 것 {fixed}건, 오프라인 분류를 따른 것 {offline}건)",
    h_checks_none="LLM 분류 점검: 오프라인 분류기와 크게 엇갈린 항목 없음",
    h_checks_label="오프라인 분류기와 엇갈린 LLM 분류",
    h_check_line="“{title}”: LLM {llm} → {final} (오프라인 분류기: {offline}, 신뢰도 {conf} · 다시 물은 답: {second})",
    h_check_no_answer="유효한 답 없음",
    h_lang_fallback="",
    chart_title="카테고리별 항목 수 — {kind} {day}", chart_top="대표 항목", no_items="이날 보고할 항목이 없습니다.",
)

_JA = Strings(
    parts=("主なテーマ", "主な出来事", "影響", "まとめ"),
    summary="要約", sources="出典", tldr="一行要約", more="この分野のその他", more_count="… ほか{n}件",
    returning="🔁 引き続き注目のニュース", returning_line="{day}の報告時 {was} → 現在 {now}", run_health="🩺 実行状況",
    extractive_label="（抽出要約：{lang}の原文から文を引用、LLM不使用）", extractive_label_same="（抽出要約：原文から文を引用、LLM不使用）",
    url_refused="安全でないURLのためリンク省略", recurring_term="繰り返し登場したテーマ「{term}」（{n}件）",
    top_items="本日この分野は{n}件、上位{k}件を掲載", most_attention="最も注目された項目：{title}", lead_item="最上位の項目：{title}", keywords="キーワード：{terms}", attention="注目度：{signals}", reported_by="掲載元：{hosts}", all_items="本日この分野は{n}件",
    hn="HN {points}ポイント", comments="コメント{n}件", upvotes="HF支持{n}", n_sources="出典{n}か所",
    h_sources="収集元", h_status="状態", h_items="件数", h_error="エラー", h_fallbacks="代替処理", h_none="なし",
    h_others="AI・コンピューティング以外のため除外（`others`）", h_repeats="過去{days}日以内に報告済みのため省略",
    h_returning="引き続き注目のため再掲", h_listed="掲載：詳細{full}件、簡易{compact}件、件数のみ{counted}件", h_llm="LLM",
    h_llm_line="プロバイダ {provider}：呼び出し{calls}回、キャッシュ{cached}回、失敗{failed}回、入力トークン{tin}、出力トークン{tout}、費用${cost}",
    h_budget="予算上限に到達：以降のLLM処理はオフライン", h_unpriced="価格表にないモデル：費用不明", h_notes="備考", h_counts="集計", h_lang_fallback="",
    chart_title="カテゴリ別の件数 — {kind} {day}", chart_top="代表的な項目", no_items="この日に報告する項目はありません。",
)

_ZH = Strings(
    parts=("主要主题", "主要事件", "影响分析", "总结"),
    summary="摘要", sources="来源", tldr="一句话摘要", more="本领域其他条目", more_count="… 另有{n}条",
    returning="🔁 持续受关注", returning_line="{day}报道时 {was} → 现在 {now}", run_health="🩺 运行状况",
    extractive_label="（抽取式摘要：直接引用{lang}原文句子，未使用LLM）", extractive_label_same="（抽取式摘要：直接引用原文句子，未使用LLM）",
    url_refused="不安全的URL，已省略链接", recurring_term="反复出现的主题“{term}”（{n}条）",
    top_items="本领域今日共{n}条，下列前{k}条", most_attention="最受关注：{title}", lead_item="排名第一：{title}", keywords="关键词：{terms}", attention="关注度：{signals}", reported_by="来源：{hosts}", all_items="本领域今日共{n}条",
    hn="HN {points}分", comments="{n}条评论", upvotes="HF点赞{n}", n_sources="{n}个来源",
    h_sources="数据源", h_status="状态", h_items="条目", h_error="错误", h_fallbacks="降级处理", h_none="无",
    h_others="与AI/计算无关而排除（`others`）", h_repeats="近{days}天内已报道而跳过", h_returning="持续受关注而再次收录",
    h_listed="收录：详细{full}条，简要{compact}条，仅计数{counted}条", h_llm="LLM",
    h_llm_line="提供方 {provider}：调用{calls}次，缓存{cached}次，失败{failed}次，输入token {tin}，输出token {tout}，费用${cost}",
    h_budget="已达预算上限：之后的LLM任务改为离线", h_unpriced="模型不在价格表中：费用未知", h_notes="备注", h_counts="统计", h_lang_fallback="",
    chart_title="各类别条目数 — {kind} {day}", chart_top="代表条目", no_items="当天没有可报道的条目。",
)

_DE = Strings(
    parts=("Hauptthemen", "Wichtige Ereignisse", "Auswirkungen", "Fazit"),
    summary="Zusammenfassung", sources="Quellen", tldr="Kurz gesagt", more="Weitere Beiträge", more_count="… und {n} weitere",
    returning="🔁 Weiterhin im Trend", returning_line="{was} beim Bericht am {day}, jetzt {now}", run_health="🩺 Laufstatus",
    extractive_label="(Extraktive Zusammenfassung: Sätze zitiert aus den Quellen ({lang}), ohne LLM)",
    extractive_label_same="(Extraktive Zusammenfassung: Sätze zitiert aus den Quellen, ohne LLM)",
    url_refused="Link entfernt: unsichere URL", recurring_term="Wiederkehrendes Thema „{term}“ in {n} Beiträgen",
    top_items="{n} Beiträge in dieser Kategorie heute; die {k} wichtigsten unten", most_attention="Meiste Aufmerksamkeit: {title}", lead_item="Wichtigster Beitrag: {title}", keywords="Stichworte: {terms}", attention="Aufmerksamkeit: {signals}", reported_by="Berichtet von {hosts}", all_items="{n} Beiträge in dieser Kategorie heute",
    hn="HN {points} Punkte", comments="{n} Kommentare", upvotes="{n} HF-Upvotes", n_sources="{n} Quellen",
    h_sources="Quellen", h_status="Status", h_items="Einträge", h_error="Fehler", h_fallbacks="Ausweichwege", h_none="keine",
    h_others="Ausgelassen als `others` (nicht KI/Computing)", h_repeats="Übersprungen, in den letzten {days} Tagen bereits berichtet",
    h_returning="Erneut gezeigt (weiterhin im Trend)", h_listed="Aufgeführt: {full} ausführlich, {compact} kompakt, {counted} nur gezählt",
    h_llm="LLM", h_llm_line="Anbieter {provider}: {calls} Aufrufe, {cached} aus Cache, {failed} fehlgeschlagen, {tin} Tokens ein, {tout} Tokens aus, ${cost}",
    h_budget="Budget erreicht: weitere LLM-Arbeit offline", h_unpriced="Modell nicht in der Preistabelle: Kosten unbekannt", h_notes="Hinweise", h_counts="Zahlen", h_lang_fallback="",
    chart_title="Beiträge pro Kategorie — {kind} {day}", chart_top="Wichtigster Beitrag", no_items="Für diesen Tag gibt es keine Beiträge.",
)

_FR = Strings(
    parts=("Thèmes principaux", "Événements clés", "Impact", "En bref"),
    summary="Résumé", sources="Sources", tldr="En une phrase", more="Autres articles", more_count="… et {n} autres",
    returning="🔁 Toujours en vogue", returning_line="{was} lors du rapport du {day}, {now} maintenant", run_health="🩺 État de l’exécution",
    extractive_label="(Résumé extractif : phrases citées des sources en {lang}, sans LLM)",
    extractive_label_same="(Résumé extractif : phrases citées des sources, sans LLM)",
    url_refused="lien retiré : URL non sûre", recurring_term="Thème récurrent « {term} » dans {n} articles",
    top_items="{n} articles dans cette catégorie aujourd’hui ; les {k} premiers ci-dessous", most_attention="Le plus suivi : {title}", lead_item="En tête : {title}", keywords="Mots-clés : {terms}", attention="Attention : {signals}", reported_by="Publié par {hosts}", all_items="{n} articles dans cette catégorie aujourd’hui",
    hn="HN {points} points", comments="{n} commentaires", upvotes="{n} votes HF", n_sources="{n} sources",
    h_sources="Sources", h_status="état", h_items="éléments", h_error="erreur", h_fallbacks="Solutions de repli", h_none="aucune",
    h_others="Exclus comme `others` (hors IA/informatique)", h_repeats="Ignorés car déjà publiés ces {days} derniers jours",
    h_returning="Republiés car toujours en vogue", h_listed="Listés : {full} en détail, {compact} en bref, {counted} comptés seulement",
    h_llm="LLM", h_llm_line="fournisseur {provider} : {calls} appels, {cached} en cache, {failed} échecs, {tin} jetons en entrée, {tout} en sortie, ${cost}",
    h_budget="budget atteint : la suite sans LLM", h_unpriced="modèle absent de la table des prix : coût inconnu", h_notes="Notes", h_counts="Décompte", h_lang_fallback="",
    chart_title="Articles par catégorie — {kind} {day}", chart_top="Article principal", no_items="Aucun article à signaler pour ce jour.",
)

_ES = Strings(
    parts=("Temas principales", "Hechos clave", "Impacto", "En resumen"),
    summary="Resumen", sources="Fuentes", tldr="En una frase", more="Más en esta categoría", more_count="… y {n} más",
    returning="🔁 Sigue siendo tendencia", returning_line="{was} al publicarse el {day}, {now} ahora", run_health="🩺 Estado de la ejecución",
    extractive_label="(Resumen extractivo: frases citadas de las fuentes en {lang}, sin LLM)",
    extractive_label_same="(Resumen extractivo: frases citadas de las fuentes, sin LLM)",
    url_refused="enlace eliminado: URL no segura", recurring_term="Tema recurrente «{term}» en {n} artículos",
    top_items="{n} artículos en esta categoría hoy; los {k} principales abajo", most_attention="Mayor atención: {title}", lead_item="Primero en la lista: {title}", keywords="Palabras clave: {terms}", attention="Atención: {signals}", reported_by="Publicado por {hosts}", all_items="{n} artículos en esta categoría hoy",
    hn="HN {points} puntos", comments="{n} comentarios", upvotes="{n} votos HF", n_sources="{n} fuentes",
    h_sources="Fuentes", h_status="estado", h_items="elementos", h_error="error", h_fallbacks="Alternativas usadas", h_none="ninguna",
    h_others="Excluidos como `others` (no sobre IA/computación)", h_repeats="Omitidos por publicarse en los últimos {days} días",
    h_returning="Repetidos por seguir en tendencia", h_listed="Listados: {full} completos, {compact} breves, {counted} solo contados",
    h_llm="LLM", h_llm_line="proveedor {provider}: {calls} llamadas, {cached} en caché, {failed} fallidas, {tin} tokens de entrada, {tout} de salida, ${cost}",
    h_budget="presupuesto alcanzado: el resto sin LLM", h_unpriced="modelo fuera de la tabla de precios: coste desconocido", h_notes="Notas", h_counts="Recuento", h_lang_fallback="",
    chart_title="Artículos por categoría — {kind} {day}", chart_top="Artículo principal", no_items="No hay artículos para este día.",
)

_STRINGS = {"en": _EN, "ko": _KO, "ja": _JA, "zh": _ZH, "de": _DE, "fr": _FR, "es": _ES}


def strings(lang: str) -> Strings:
    s = _STRINGS.get(lang)
    if s is not None:
        return s
    from dataclasses import replace

    return replace(_EN, fallback=True)
