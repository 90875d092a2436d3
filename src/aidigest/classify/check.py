"""LLM categories checked against the offline classifier.

Beside every LLM answer the offline classifier gives its opinion (category, confidence): it is cheap (cached
embeddings, aidigest.reuse) and it is what the item would get without an LLM. Where the two disagree *strongly*
— the offline classifier is confident (top probability >= `CONFIDENT`) and the two categories are in different
families of the taxonomy (`family` in taxonomy.toml: ai_research / ai_world / not_ai) — the LLM is asked once
more, in one batch of those items, each with a short note naming its first answer and the offline opinion. The
rule (docs/llm.md):

1. the second answer is in the offline category's family: it is taken (the LLM corrected itself);
2. otherwise (the LLM keeps its family, or gives no valid answer): the offline category is taken. Two opinions
   in different families with the offline model confident is the case where the LLM's slips are found (an
   "Xbox price rise" filed under Large Language Models); the item is named in run health either way, so a
   reader sees both opinions.

A disagreement inside a family (llm vs nlp), or with the offline classifier unsure, keeps the LLM's answer: the
offline classifier is the weaker of the two (news accuracy ~0.8) and its low-confidence answers are no evidence.
Every checked item is a `CategoryCheck` in the stage's `RunHealth.checks` (the report counts and names them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..llm.base import BudgetExceeded, LLMError, Message
from ..records import CategoryCheck, Item
from ..taxonomy import Taxonomy
from .llm import PURPOSE, LLMClassifier, _answers_of, answer_schema, user_prompt, validate_answers

log = logging.getLogger("aidigest.classify")

# The offline classifier's top probability from which its opinion counts against the LLM's: more than half of
# its probability on one category (it is surer of that one than of all the others together). A rule, not a fit:
# on the dev news labels the classifier was trained on, its family is right at every confidence (in-sample, no
# information), and the demo day is test data (not tuned on). Its AI-topic probabilities spread over 11 close
# categories (a "llm" verdict is often 0.2-0.5), while a software/others verdict on a non-AI headline is
# typically 0.6-0.99: the check fires mostly where it matters, an AI category for non-AI news and the reverse.
CONFIDENT = 0.5


def strong_disagreement(taxonomy: Taxonomy, llm_cat: str, offline_cat: str, offline_conf: float) -> bool:
    """The offline classifier is confident and its category is in another family than the LLM's."""
    if llm_cat not in taxonomy or offline_cat not in taxonomy or offline_conf < CONFIDENT:
        return False
    return taxonomy[llm_cat].family_id != taxonomy[offline_cat].family_id


def recheck_prompt(batch: Sequence[tuple[int, Item, str, str]], taxonomy: Taxonomy) -> str:
    """The second question: each item (delimited as untrusted) followed by the note about the two opinions."""
    blocks = []
    for idx, item, first, offline in batch:
        block = user_prompt([(idx, item)]).split("\n\n", 1)[1]
        blocks.append(
            f"{block}\nNote on item {idx}: you answered `{first}` ({taxonomy[first].name}); an offline classifier is "
            f"confident it is `{offline}` ({taxonomy[offline].name}), a different kind of story. Read the item again "
            f"and answer the category that fits it best (keep yours if it is right)."
        )
    return (f"Check these {len(batch)} items again (index = the number in each block's label):\n\n"
            + "\n\n".join(blocks))


async def recheck(clf: LLMClassifier, batch: Sequence[tuple[int, Item, str, str]]) -> dict[int, str]:
    """The LLM's second answers {index: id} for `batch` ((index, item, first answer, offline category)); {} when
    the call fails (the rule then takes the offline category)."""
    if not batch or clf.stopped:
        return {}
    schema = answer_schema(tuple(clf.taxonomy.ids), len(batch))
    messages = [Message(role="system", content=clf.system),
                Message(role="user", content=recheck_prompt(batch, clf.taxonomy))]
    try:
        result = await clf.llm.complete(messages, schema=schema, purpose=PURPOSE)
    except (BudgetExceeded, LLMError) as e:
        log.warning("classify: the second question about %d disputed item(s) failed (%s)", len(batch), e)
        return {}
    got, _ = validate_answers(_answers_of(result.data, result.text), {i for i, *_ in batch}, clf.ids)
    return got


def _names(taxonomy: Taxonomy, *ids: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for cid in ids:
        if cid and cid in taxonomy:
            out[cid] = taxonomy[cid].name
            out[f"{cid}@ko"] = taxonomy[cid].name_ko
    return out


async def check_answers(
    clf: LLMClassifier, items: Sequence[Item], answered: dict[int, str], offline: dict[int, tuple[str, float]],
) -> tuple[dict[int, str], list[CategoryCheck]]:
    """The LLM's answers after the check, and one CategoryCheck per strongly disputed item (in input order)."""
    tax = clf.taxonomy
    disputed = [(i, items[i], answered[i], offline[i][0]) for i in sorted(answered)
                if i in offline and strong_disagreement(tax, answered[i], *offline[i])]
    if not disputed:
        return answered, []
    second = await recheck(clf, [(j, it, first, off) for j, (_, it, first, off) in enumerate(disputed)])
    final = dict(answered)
    checks = []
    for j, (i, item, first, off) in enumerate(disputed):
        again = second.get(j)
        take = again if again is not None and tax[again].family_id == tax[off].family_id else off
        final[i] = take
        checks.append(CategoryCheck(kind=item.kind, title=item.title, llm=first, offline=off,
                                    offline_confidence=round(offline[i][1], 4), second=again, final=take,
                                    names=_names(tax, first, off, again, take)))
    log.info("classify: %d LLM answer(s) disputed by the offline classifier; %d changed",
             len(checks), sum(c.final != c.llm for c in checks))
    return final, checks
