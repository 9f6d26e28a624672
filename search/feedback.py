"""Pseudo-relevance feedback: RM3, as Anserini has it, an option that is off by default.

The best chunks of a first search lend the query their commonest words: each chunk's
words weigh by their share of its length and by the chunk's share of the top scores
(RM1), the ten heaviest are kept, and they join the query: the words typed keep nine
tenths of the weight and the feedback words share one tenth (Lavrenko and Croft 2001;
Abdul-Jaleel et al. 2004). Anserini splits it half and half. On six judged collections
and the observatory's, half and half helped three and cost the other four up to 0.05
nDCG@10; one tenth helped cranfield, med and the observatory's beyond chance (paired
randomization test, p < 0.05) and cost none beyond it (`bench/relevance.py --feedback`).
It is not the default: a query takes about twice as long (`bench/run.py`, 2,500 pages:
p50 5.8 to 8.2 ms, p95 11.0 to 19.8 ms), and it finds chunks that hold none of the
words typed.

A query that is more than an OR of words (an exclusion, a required word, a field) or
has no plain word (only phrases or prefixes) is searched as typed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from whoosh import query

from .matching import bulk_query
from .query import SEARCH_FIELDS
from .settings import DEFAULT_SETTINGS, SearchSettings


def rm3_query(
    parsed: query.Query,
    hits: list[Any],
    analyzer: Any,
    settings: SearchSettings = DEFAULT_SETTINGS,
) -> query.Query:
    """The query with the feedback of its first hits, or as it is where feedback does not
    apply: no hits, or a query that is more than an OR of words and phrases (feedback
    words added to an exclusion or a required word would change what it means)."""
    shape = bulk_query(parsed)
    if not hits or shape is None:
        return parsed
    typed = sum(boost for field, _, boost in shape.words if field == "text")
    if typed <= 0:
        return parsed
    relevance: Counter[str] = Counter()
    total_score = sum(hit.score for hit in hits) or 1.0
    for hit in hits:
        counts = Counter(
            token.text for token in analyzer(f"{hit.chunk.title} {hit.chunk.text}", mode="index")
        )
        length = sum(counts.values()) or 1
        for term, count in counts.items():
            relevance[term] += hit.score / total_score * count / length
    chosen = relevance.most_common(settings.feedback_terms)
    chosen_total = sum(weight for _, weight in chosen) or 1.0
    share, boosts = settings.feedback_typed_share, settings.field_boosts
    feedback = [
        query.Term(field, term, boost=boosts[field] * (1 - share) * weight / chosen_total)
        for term, weight in chosen
        for field in SEARCH_FIELDS
    ]
    original = parsed.with_boost(parsed.boost * share / typed)
    return query.Or([original, *feedback]).normalize()
