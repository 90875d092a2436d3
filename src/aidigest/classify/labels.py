"""Deriving taxonomy labels for arXiv papers from their arXiv categories (training labels for the offline model).

The labeled paper files carry `categories` (primary first) but no topic label of ours, so the training labels
are derived here with documented rules. The rules are deliberately simple and auditable; they are used only to
build training data from the DEVELOPMENT split (labeled_papers/linyueqian_*).

Rules, in order:

1. The primary category decides the *family* where arXiv has one that maps onto our taxonomy:
   - cs.CV, eess.IV, cs.GR -> `multimodal` if the paper is cross-listed in cs.CL or is about vision-language
     models (VLM/MLLM/"vision-language"/VQA/captioning in the title, or >= 2 such mentions in the abstract),
     else `cv` (medical imaging, 3D and image/video generation stay `cv`, as the taxonomy says).
   - cs.CL -> `multimodal` (cross-listed cs.CV or VLM terms as above), `audio` (cross-listed cs.SD/eess.AS or
     speech terms in the title), else `llm` vs `nlp` by `llm_or_nlp` (below).
   - cs.RO -> `robotics`; cs.SD, eess.AS -> `audio`; cs.MM -> `multimodal`.
   - cs.CY -> `policy`; cs.CR -> `policy` (security/privacy of AI systems: the listings these papers come from
     are AI listings).
   - physics.*, q-bio.*, quant-ph, cond-mat.*, astro-ph.*, hep-*, gr-qc, math-ph, nlin.* -> `science`.
2. Every other primary (cs.LG, stat.ML, cs.AI, cs.NE, cs.MA, cs.IR, math.OC, ...) goes through `topic_rule`:
   cross-lists first (cs.RO -> robotics, cs.SD/eess.AS -> audio, cs.CV/eess.IV -> cv or multimodal,
   cs.CL -> llm/nlp/multimodal), then title keywords in the priority order of `_TITLE_ORDER`, then abstract
   keywords for ML primaries only (cs.LG, stat.ML, cs.AI, cs.NE, cs.MA, math.OC: the class with the most hits,
   at least 3), then a per-primary default (`training` for cs.LG,
   stat.ML, cs.NE, math.OC; `tabular` for cs.IR recommender work, else `nlp`; `None` = not used for training).

`llm_or_nlp`: `llm` if the title names LLMs/language models/agents/prompting/reasoning models; `nlp` if the
title names a classic language task (translation, extraction, retrieval, parsing, NER, sentiment, linguistics,
a specific language/dialect) without naming LLMs; otherwise `llm` when the abstract mentions LLMs at least
twice, else `nlp`.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

LLM_TITLE = re.compile(
    r"\b(LLMs?|MLLMs?|large language models?|language models?|foundation models?|GPT[-\w]*|ChatGPT|chatbots?"
    r"|instruction[- ]tun\w*|prompt\w*|in-context|chain[- ]of[- ]thought|CoT|RLHF|DPO|reasoning models?|LRMs?"
    r"|Llama\w*|Qwen\w*|Mistral|Gemini|Claude|DeepSeek\w*|agents?|agentic|retrieval[- ]augmented|RAG"
    r"|tokeni[sz]\w*|hallucinat\w*|jailbreak\w*|alignment|test-time scaling|long[- ]context|reasoning)\b",
    _I,
)
LLM_ABS = re.compile(r"\b(LLMs?|large language models?|language models?|GPT-?\d\w*|ChatGPT|prompting)\b", _I)
NLP_TASK = re.compile(
    r"\b(translation|MT|information extraction|named entity|NER|entity linking|relation extraction|parsing|parser"
    r"|syntactic|morpholog\w*|sentiment|stance|summari[sz]ation|retrieval|question answering|text classification"
    r"|linguistic\w*|corpus|corpora|treebank|dialects?|low-resource|multilingual|cross-lingual|lexical|semantic"
    r" role|coreference|word embeddings?|tagging|grammar|readability|hate speech|misinformation|fact[- ]check\w*"
    r"|Arabic|Chinese|Hindi|Bengali|Persian|Urdu|Swahili|Korean|Japanese|Vietnamese|Indonesian|African|Indic"
    r"|Turkish|German|French|Spanish|Portuguese|Russian)\b",
    _I,
)
VLM = re.compile(
    r"\b(vision[- ]language|VLMs?|LVLMs?|MLLMs?|multimodal (?:large )?language|multi-modal (?:large )?language"
    r"|multimodal LLMs?|visual question|VQA|image captioning|captioning|video[- ]language|visual instruction"
    r"|vision-and-language|image-text|text-image|omni-modal|any-to-any)\b",
    _I,
)
SPEECH = re.compile(r"\b(speech|spoken|ASR|TTS|text-to-speech|speaker|voice|audio|music|sound|acoustic)\b", _I)

# Title keywords per class for the generic (non-family) rule. Order = priority when several match.
_KW: dict[str, re.Pattern[str]] = {
    "robotics": re.compile(
        r"\b(robot\w*|manipulation|grasp\w*|locomotion|humanoid|embodied|autonomous driving|self-driving"
        r"|navigation|quadruped|drones?|UAVs?|vehicles?|vision-language-action|VLA)\b",
        _I,
    ),
    "audio": SPEECH,
    "multimodal": VLM,
    "cv": re.compile(
        r"\b(image\w*|video\w*|visual|vision|segmentation|detection|3D|point clouds?|pixel\w*|camera|diffusion"
        r" models? for image|text-to-image|scene|Gaussian splatting|NeRF|pose estimation|face|facial|MRI|CT"
        r"|X-ray|radiology|histopatholog\w*|ultrasound|remote sensing|satellite|optical flow|depth)\b",
        _I,
    ),
    "science": re.compile(
        r"\b(molecul\w*|protein\w*|drug\w*|chemi\w*|physics|physical|material\w*|climate|weather|medical|clinical"
        r"|health\w*|patients?|EHR|biolog\w*|genom\w*|genes?|gene expression|cells?|single-cell|brain|EEG|fMRI|ECG"
        r"|neuro\w*|PDEs?|partial differential|fluid\w*|quantum|astro\w*|cosmolog\w*|seismic|ocean\w*|crystal\w*"
        r"|catalys\w*|enzyme\w*|DNA|RNA|disease\w*|cancer|epidemi\w*|ecolog\w*|battery|power grids?|mathemati\w*"
        r"|theorem\w*|scientific|science)\b",
        _I,
    ),
    "policy": re.compile(
        r"\b(privacy|private|differential privacy|fairness|fair|bias(?:es)?|safety|safe|adversarial|attacks?"
        r"|backdoor\w*|jailbreak\w*|poison\w*|security|secure|ethic\w*|societ\w*|regulat\w*|legal|governance"
        r"|watermark\w*|misuse|harm\w*|toxic\w*|unlearning|copyright|trustworth\w*|red[- ]teaming|deepfakes?)\b",
        _I,
    ),
    "inference": re.compile(
        r"\b(quantiz\w*|pruning|prune\w*|sparsit\w*|compression|compress\w*|serving|accelerat\w*|FPGA"
        r"|hardware|low-bit|\d-bit|KV[- ]cache|speculative decoding|(?:efficient|fast|faster|LLM|model) inference"
        r"|inference[- ](?:time|speed|cost|latency|efficien\w*|acceleration|engine|serving)|latency|throughput"
        r"|edge devices?|on-device|memory-efficient|distillation|distill\w*|GPUs?|lightweight)\b",
        _I,
    ),
    "llm": LLM_TITLE,
    "rl": re.compile(
        r"\b(reinforcement learning|RL|bandits?|MDPs?|Markov decision|policy optimization|policy gradient"
        r"|Q-learning|reward\w*|multi-agent|planning|decision[- ]making|offline RL|imitation learning"
        r"|games?|optimal control|control polic\w*|policy learning)\b",
        _I,
    ),
    "tabular": re.compile(
        r"\b(graphs?|GNNs?|graph neural|time[- ]series|forecast\w*|tabular|recommend\w*|recommender|click-through"
        r"|CTR|spatio-temporal|spatiotemporal|traffic|anomaly detection|knowledge graphs?|link prediction"
        r"|clustering|causal discovery)\b",
        _I,
    ),
    "nlp": NLP_TASK,
}
_TITLE_ORDER = ["robotics", "audio", "multimodal", "cv", "science", "policy", "inference", "llm", "rl", "tabular",
                "nlp"]

_SCIENCE_PREFIXES = ("physics.", "q-bio.", "quant-ph", "cond-mat.", "astro-ph", "hep-", "gr-qc", "math-ph", "nlin.",
                     "q-fin.")
_ML_PRIMARIES = {"cs.LG", "stat.ML", "cs.AI", "cs.NE", "cs.MA", "math.OC"}
_TRAINING_DEFAULT = {"cs.LG", "stat.ML", "cs.NE", "math.OC", "stat.ME", "stat.CO", "math.ST", "stat.TH"}


def _n(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def llm_or_nlp(title: str, abstract: str) -> str:
    if LLM_TITLE.search(title):
        return "llm"
    if NLP_TASK.search(title):
        return "nlp"
    return "llm" if _n(LLM_ABS, abstract) >= 2 else "nlp"


def _is_vlm(title: str, abstract: str) -> bool:
    return bool(VLM.search(title)) or _n(VLM, abstract) >= 2


def topic_rule(categories: list[str], title: str, abstract: str) -> str | None:
    """Label for papers whose primary category has no family of its own (cs.LG, cs.AI, stat.ML, ...)."""
    cats = set(categories)
    if "cs.RO" in cats:
        return "robotics"
    if cats & {"cs.SD", "eess.AS"}:
        return "audio"
    if cats & {"cs.CV", "eess.IV"}:
        return "multimodal" if ("cs.CL" in cats or _is_vlm(title, abstract)) else "cv"
    if "cs.CL" in cats:
        return "multimodal" if _is_vlm(title, abstract) else llm_or_nlp(title, abstract)
    for cid in _TITLE_ORDER:
        if _KW[cid].search(title):
            return cid
    primary = categories[0] if categories else ""
    if primary not in _ML_PRIMARIES:
        return None
    counts = {cid: _n(_KW[cid], abstract) for cid in _TITLE_ORDER}
    best = max(_TITLE_ORDER, key=lambda c: counts[c])  # first in priority order among ties
    if counts[best] >= 3:
        return best
    if primary in _TRAINING_DEFAULT:
        return "training"
    return None


def paper_label(categories: list[str], title: str, abstract: str) -> str | None:
    """Our taxonomy id for an arXiv paper, or None when the rules give no confident label."""
    if not categories:
        return None
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    primary = categories[0]
    cats = set(categories)
    if primary in ("cs.CV", "eess.IV", "cs.GR"):
        return "multimodal" if ("cs.CL" in cats or _is_vlm(title, abstract)) else "cv"
    if primary == "cs.CL":
        if "cs.CV" in cats or _is_vlm(title, abstract):
            return "multimodal"
        if cats & {"cs.SD", "eess.AS"} or SPEECH.search(title):
            return "audio"
        return llm_or_nlp(title, abstract)
    if primary == "cs.RO":
        return "robotics"
    if primary in ("cs.SD", "eess.AS"):
        return "audio"
    if primary == "cs.MM":
        return "multimodal"
    if primary in ("cs.CY", "cs.CR"):
        return "policy"
    if primary.startswith(_SCIENCE_PREFIXES):
        return "science"
    if primary == "cs.IR":
        if _KW["tabular"].search(title) or "recommend" in abstract.lower():
            return "tabular"
        return "multimodal" if _is_vlm(title, abstract) else "nlp"
    return topic_rule(categories, title, abstract)
