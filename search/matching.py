"""Which documents match, as a bitmap (bit n = Whoosh document n).

Facet counts need every matching document, not only the top ten. Walking Whoosh's
union matcher one document at a time costs microseconds each; for the common query, an
OR of words, the union of the words' posting lists is read block by block instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from whoosh import query

from dwsearch.index.whoosh_internals import DocIdSet, all_postings, posting_ids

from .query import SEARCH_FIELDS, TypedPrefix


class BitmapDocs(DocIdSet):
    """A bitmap Whoosh's collectors can test documents against, as a filter."""

    def __init__(self, bits: int, size: int) -> None:
        self.raw = bits.to_bytes((size + 7) // 8 or 1, "little")
        self.size = size

    def __contains__(self, docnum: object) -> bool:
        return (
            isinstance(docnum, int)
            and 0 <= docnum < self.size
            and bool(self.raw[docnum >> 3] >> (docnum & 7) & 1)
        )

    def __bool__(self) -> bool:
        return True

    def __iter__(self):  # type: ignore[no-untyped-def]
        for index, byte in enumerate(self.raw):
            while byte:
                low = byte & -byte
                yield index * 8 + low.bit_length() - 1
                byte ^= low


Word = tuple[str, str, float]  # field, analysed word, weight
Weighted = tuple[query.Phrase, float]


Constant = tuple[TypedPrefix, float]


class BulkQuery(NamedTuple):
    """An OR of words, phrases and prefixes, in the shape the fast paths read.

    `bonuses` are phrases that only add to documents their first word already matches
    (the proximity bonus); `phrases` decide by themselves what matches (quoted phrases,
    hyphenated words); `prefixes` add their boost to every document holding a word they
    begin, as Whoosh and Lucene score a prefix (a constant, not each word's BM25).
    """

    words: list[Word]
    bonuses: list[Weighted]
    phrases: list[Weighted]
    prefixes: list[Constant]


def bulk_query(tree: query.Query) -> BulkQuery | None:
    """The words and phrases of an OR of words and phrases, or None for other queries."""
    words: list[Word] = []
    phrases: list[Weighted] = []
    prefixes: list[Constant] = []
    if not _collect(tree, 1.0, words, phrases, prefixes):
        return None
    found = BulkQuery(words, [], [], prefixes)
    present = {(fieldname, text) for fieldname, text, _ in words}
    for phrase, boost in phrases:
        if not phrase.words:
            continue
        covered = (phrase.fieldname, phrase.words[0]) in present
        (found.bonuses if covered else found.phrases).append((phrase, boost))
    return found


def _collect(
    tree: query.Query,
    boost: float,
    words: list[Word],
    phrases: list[Weighted],
    prefixes: list[Constant],
) -> bool:
    if type(tree) is query.Term and tree.fieldname in SEARCH_FIELDS:
        words.append((tree.fieldname, tree.text, boost * tree.boost))
        return True
    if type(tree) is query.Phrase and tree.fieldname in SEARCH_FIELDS:
        phrases.append((tree, boost))
        return True
    if type(tree) is TypedPrefix and tree.fieldname in SEARCH_FIELDS:
        prefixes.append((tree, boost))
        return True
    if not isinstance(tree, query.Or) or tree.minmatch or tree.scale:
        return False
    return all(
        _collect(child, boost * tree.boost, words, phrases, prefixes) for child in tree.subqueries
    )


def matching_bits(searcher: Any, tree: query.Query, live: int, size: int) -> int:
    """The documents `tree` matches, less deleted ones."""
    if isinstance(tree, query.Every):
        return live
    if tree is query.NullQuery:
        return 0
    raw = bytearray((size + 7) // 8 or 1)
    # An OR of words (a phrase bonus matches nothing its first word does not) is read
    # from the posting lists; anything else goes through Whoosh's matchers.
    shape = bulk_query(tree)
    plain = shape and not shape.phrases and not shape.prefixes
    terms = {(f, t) for f, t, _ in shape.words} if plain else None
    if terms is None:
        for docnum in searcher.docs_for_query(tree):
            raw[docnum >> 3] |= 1 << (docnum & 7)
    else:
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            for fieldname, text in terms:
                if (fieldname, text) not in reader:
                    continue
                for docnum in posting_ids(all_postings(reader, fieldname, text)):
                    docnum += offset
                    raw[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(raw, "little") & live
