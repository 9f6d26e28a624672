"""Property tests: the fast paths of ingestion's text work give what the plain rules say.

Tagging, white space, mentioned years, founding years and normalisation each take
shortcuts (a set intersection, a walk that stops early, a search skipped when a cue
cannot stand, a translation skipped for ASCII text). Each is checked here against the
rule written out the slow, obvious way, on random text made of the taxonomy's own terms,
acronyms and British spellings, odd separators and letters whose case is not simple.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwsearch.ingest.dates import prose_years
from dwsearch.ingest.taxonomy import Tags, load_taxonomy
from dwsearch.ingest.text import mentioned_years, normalise, squeeze
from dwsearch.lexicon import uk_to_us

# A word as the taxonomy's header describes it: letters and digits, hyphenated compounds
# and apostrophes kept together.
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
TAXONOMY = load_taxonomy()


def reference_tags(text: str, also: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Every word and every hyphenated part against the acronyms (exact case); every run
    of words, lower case and spelled the American way, against the terms."""
    labels = {f"topic:{slug}" for slug in also}
    for word in _WORD.findall(text.replace("’", "'")):
        for part in {word, *word.split("-")}:
            labels |= TAXONOMY.acronyms.get(part, frozenset())
    spelling = uk_to_us()
    words = [spelling.get(w, w) for w in _WORD.findall(text.lower().replace("’", "'"))]
    for start, word in enumerate(words):
        if "-" in word:
            for part in word.split("-"):
                labels |= TAXONOMY.terms.get(part, frozenset())
        for end in range(start + 1, len(words) + 1):
            labels |= TAXONOMY.terms.get(" ".join(words[start:end]), frozenset())
    topics = sorted(label.split(":", 1)[1] for label in labels if label.startswith("topic:"))
    sectors = sorted(label.split(":", 1)[1] for label in labels if label.startswith("sector:"))
    baskets = sorted({TAXONOMY.topic_baskets[t] for t in topics} - {""})
    return tuple(topics), tuple(baskets), tuple(sectors)


def _vary_case(word: str, how: int) -> str:
    return (word, word.upper(), word.title(), word.lower())[how]


_TERMS = sorted(TAXONOMY.terms)
_PIECES = st.one_of(
    st.builds(_vary_case, st.sampled_from(_TERMS), st.integers(0, 3)),
    st.sampled_from(sorted(TAXONOMY.acronyms)),
    st.builds(_vary_case, st.sampled_from(sorted(uk_to_us())), st.integers(0, 3)),
    st.sampled_from(
        ["the", "of", "data", "İstanbul", "ΟΔΟΣ·ΒΑΣ", "Straße", "naïve", "e-mail", "x--y"]
    ),
    st.sampled_from(["ITU-T's", "-AI-", "_DNS_", "GDPR’s", "ICANN-led", "İnternet"]),
    st.text(max_size=6),
)
_SEPARATORS = st.sampled_from([" ", "  ", "-", "'", "’", ", ", " - ", "_", "/", "\n", "·", ""])
_TEXTS = st.lists(st.tuples(_PIECES, _SEPARATORS), max_size=30).map(
    lambda pairs: "".join(piece + separator for piece, separator in pairs)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS, st.lists(st.sampled_from(sorted(TAXONOMY.topic_names)), max_size=2))
def test_tags_are_every_term_and_acronym_the_words_spell(text, also):
    tags = TAXONOMY.tag(text, also=tuple(also))
    assert (tags.topics, tags.baskets, tags.sectors) == reference_tags(text, tuple(also))


_NUMBERS = st.lists(
    st.one_of(
        st.sampled_from(["2019", "1865", "101/2014", "12345/2019", "٢٠١٩", "2019.5", "3,2020"]),
        st.sampled_from(["founded in", "Established", "since", "set  up", "dating from"]),
        st.sampled_from(["(", ")", ".", ",", "/", " ", "a", "\u00a0", "\t"]),
        st.text(alphabet="0123456789/., a", max_size=8),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NUMBERS)
def test_years_are_the_four_digit_numbers_not_inside_longer_ones(text):
    written = re.compile(r"(?<![\d/.,])(?:\d{1,4}/)?(\d{4})(?![\d/]|[.,]\d)")
    years = [int(m.group(1)) for m in written.finditer(text)]
    assert mentioned_years(text) == tuple(dict.fromkeys(y for y in years if 1900 <= y <= 2100))


@settings(max_examples=400, deadline=None)
@given(_NUMBERS)
def test_founding_years_are_left_out_only_after_a_cue(text):
    """A text with no founding cue keeps every year it mentions in the digits a year is
    written in ("2019", not "٢٠١٩"); one with a cue keeps some of them."""
    # The cues the texts are made of, even inside a word ("unfounded").
    cue = re.compile(r"founded|established|since|set\s+up|dating\s+from", re.IGNORECASE)
    kept = prose_years(text)
    mentioned = mentioned_years(text)
    assert set(kept) <= set(mentioned)
    if not cue.search(text):
        assert kept == tuple(y for y in mentioned if re.search(rf"(?<!\d){y}(?!\d)", text))


@pytest.mark.parametrize(
    "cue", ["founded in", "Established", "SINCE", "set\tup in", "Dating  From"]
)
def test_a_founding_year_is_left_out_in_any_case_and_spacing(cue):
    assert prose_years(f"The body was {cue} 1948 and met in 2019.") == (2019,)


@given(st.text(max_size=40))
def test_squeezed_text_is_its_words_one_space_apart(text):
    assert squeeze(text) == re.sub(r"\s+", " ", text).strip()


_SPACE_LIKE = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


@given(st.text(alphabet=st.sampled_from(f"ab é\n{_SPACE_LIKE}{_INVISIBLE}"), max_size=30))
def test_normalised_text_has_plain_spaces_and_nothing_invisible(text):
    """A no-break or thin space is a space; a zero-width one or a soft hyphen is gone."""
    plain = "".join(" " if c in _SPACE_LIKE else "" if c in _INVISIBLE else c for c in text)
    assert normalise(text) == plain


def test_a_taxonomy_copied_with_other_baskets_tags_with_its_own():
    """A copy made by `dataclasses.replace` remembers nothing its original tagged."""
    text = "Cybersecurity and data protection under the GDPR"
    first = TAXONOMY.tag(text)
    assert first.baskets
    moved = dataclasses.replace(
        TAXONOMY, topic_baskets={topic: "elsewhere" for topic in TAXONOMY.topic_baskets}
    )
    assert moved.tag(text) == Tags(first.topics, ("elsewhere",), first.sectors)
    assert TAXONOMY.tag(text) == first
