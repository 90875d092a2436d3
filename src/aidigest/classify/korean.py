"""A Korean-aware text form for the offline classifier's hashed words: English glosses of common Korean IT terms.

The hashed word features (aidigest.classify.offline.hashed_bow) see Latin-script words only, and the training
text is almost all English, so a Korean headline reaches the linear model through the multilingual embedding
alone, which blurs exactly the words that decide a category ("오픈AI", "거대언어모델", "해킹", "반도체").
`gloss(text)` returns the English words of every term of `GLOSSARY` found in the text (as substrings: Korean
attaches particles to nouns), so "오픈AI, 새 추론 모델 공개" also gives "openai reasoning inference model release"
to the hashed words, whose English weights the model has learned. The embedding still sees the text unchanged.

The glossary is a general list of Korean IT/AI news vocabulary (company and product transliterations, field
terms, news verbs), written from the vocabulary, not from the test headlines. A term that is also part of a
longer unrelated word is guarded by a lookahead (애플 but not 애플리케이션).
"""

from __future__ import annotations

import re

# (pattern, English words). Order does not matter: every match adds its words once.
GLOSSARY: tuple[tuple[str, str], ...] = (
    # AI, models, methods
    ("인공지능", "ai artificial intelligence"),
    ("생성형|생성 ?AI", "generative ai"),
    ("챗GPT|챗지피티", "chatgpt"),
    ("챗봇", "chatbot"),
    ("오픈AI|오픈에이아이", "openai"),
    ("앤트로픽|앤스로픽", "anthropic"),
    ("클로드", "claude"),
    ("제미나이|제미니", "gemini"),
    ("딥마인드", "deepmind"),
    ("하이퍼클로바", "hyperclova llm"),
    ("엑사원", "exaone llm"),
    ("코파일럿", "copilot"),
    ("허깅페이스", "hugging face"),
    ("미드저니", "midjourney"),
    ("딥시크", "deepseek"),
    ("거대 ?언어 ?모델|대규모 ?언어 ?모델|대형 ?언어 ?모델|초거대", "large language model llm"),
    ("언어 ?모델", "language model"),
    ("추론 ?모델", "reasoning model"),
    ("추론", "reasoning inference"),
    ("모델", "model"),
    ("에이전트", "agent"),
    ("프롬프트", "prompt"),
    ("딥러닝", "deep learning"),
    ("머신러닝|기계학습|기계 학습", "machine learning"),
    ("강화학습|강화 학습", "reinforcement learning"),
    ("파인튜닝|미세조정|미세 조정", "fine tuning"),
    ("학습", "training learning"),
    ("자연어", "natural language"),
    ("번역", "translation"),
    ("음성 ?인식", "speech recognition"),
    ("음성", "voice speech"),
    ("음악", "music"),
    ("이미지 ?생성", "image generation"),
    ("이미지", "image"),
    ("영상|동영상|비디오", "video"),
    ("컴퓨터 ?비전", "computer vision"),
    ("멀티모달", "multimodal"),
    ("로봇|로보틱스", "robot robotics"),
    ("휴머노이드", "humanoid robot"),
    ("자율 ?주행|무인 ?주행", "self driving autonomous"),
    ("로보택시", "robotaxi"),
    ("딥페이크", "deepfake"),
    ("데이터센터|데이터 센터", "data center"),
    ("데이터", "data"),
    ("벡터", "vector"),
    ("신약", "drug discovery"),
    ("의료", "medical"),
    ("과학", "science"),
    # companies, products
    ("구글", "google"),
    ("마이크로소프트|마소", "microsoft"),
    ("엔비디아", "nvidia"),
    ("애플(?!리케이션)", "apple"),
    ("아마존", "amazon"),
    ("메타(?!버스|넷)", "meta"),
    ("삼성", "samsung"),
    ("네이버", "naver"),
    ("카카오", "kakao"),
    ("테슬라", "tesla"),
    ("아이폰", "iphone"),
    ("갤럭시", "galaxy"),
    ("유튜브", "youtube"),
    ("넷플릭스", "netflix"),
    ("리눅스", "linux"),
    ("깃허브", "github"),
    ("파이썬", "python"),
    ("러스트", "rust"),
    # computing, not AI
    ("반도체", "semiconductor chip"),
    ("메모리|D램|디램|낸드", "memory chip"),
    ("파운드리", "foundry chip"),
    ("칩", "chip"),
    ("양자 ?컴퓨터|양자컴|양자", "quantum"),
    ("클라우드", "cloud"),
    ("서버", "server"),
    ("소프트웨어", "software"),
    ("오픈 ?소스", "open source"),
    ("개발자", "developer"),
    ("프로그래밍|코딩", "programming coding"),
    ("코드", "code"),
    ("데이터베이스", "database"),
    ("브라우저", "browser"),
    ("애플리케이션|앱", "app"),
    ("웹(?!툰|젠)", "web"),
    ("보안", "security"),
    ("해킹|해커", "hacking hacker"),
    ("개인정보", "privacy personal data"),
    ("유출", "leak breach"),
    ("랜섬웨어", "ransomware"),
    ("악성 ?코드|악성코드", "malware"),
    ("취약점", "vulnerability"),
    ("스팸", "spam"),
    ("스마트폰|휴대폰|폴더블", "smartphone phone"),
    ("노트북", "laptop"),
    ("게임", "game"),
    ("통신|이통사|이동통신", "telecom"),
    ("요금제", "mobile plan"),
    ("위성", "satellite"),
    # business, policy, news verbs
    ("출시", "launch release"),
    ("공개", "unveils release"),
    ("발표", "announces"),
    ("투자", "investment"),
    ("인수", "acquisition"),
    ("매출", "revenue"),
    ("실적", "earnings"),
    ("스타트업", "startup"),
    ("감원|해고|구조조정", "layoffs"),
    ("규제", "regulation"),
    ("법안|입법", "bill law"),
    ("AI ?(기본)?법|인공지능 ?(기본)?법", "ai act law regulation"),
    ("법원|판사|판결", "court ruling"),
    ("불법", "illegal"),
    ("시행", "takes effect"),
    ("저작권", "copyright"),
    ("소송", "lawsuit"),
    ("윤리", "ethics"),
    ("안전", "safety"),
    ("일자리", "jobs"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), words) for p, words in GLOSSARY)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def gloss(text: str) -> str:
    """English words for the Korean terms of `text` ("" when the text has no Hangul)."""
    if not text or not _HANGUL.search(text):
        return ""
    return " ".join(words for rx, words in _COMPILED if rx.search(text))
