"""Every use of Whoosh beyond its documented API, in one place, for the pinned
whoosh-reloaded 2.7.5.

dwsearch is fast because it reads posting blocks whole and writes segments itself,
below Whoosh's public API. All of that goes through this package, and only on the
Whoosh version it was written and tested against, whose classes have the methods and
whose objects have the attributes used here (each kind of object is checked the first
time it is met). Otherwise it says so once (a `WhooshVersionWarning`) and every function
here falls back to Whoosh's public API: the same results, only slower. `FAST` says
which; `DWSEARCH_WHOOSH_PUBLIC=1` takes the public path on purpose (CI runs the quick
tests so).

The modules of Whoosh's public API (index, fields, analysis, query, qparser as
documented, searching, scoring, highlight, sorting) may be used anywhere; any other
Whoosh module is named only here: in `guard` (may it go below the public API?),
`reading` (posting lists and field lengths), `writing` (segments, the writing codec,
field indexing, columns) and `querying` (the query parser's plugins, edit distance,
positions, document sets).

What it owns:
- an index opened with its segments' parts read in place from the mapped compound file,
  through a storage of its own (`open_index`), and its segments listed from the table
  of contents without opening any (`index_segments`, `open_segment`);
- posting lists read a block at a time, as stored, encoded positions and all
  (`posting_blocks`);
- each segment's column of quantised field lengths (`length_bytes`);
- writing a segment's files directly through Whoosh's codec (`CodecSegments`): posting
  blocks filled 128 postings at a time, deflated by ISA-L where it is installed (zlib's
  format, read back by Whoosh's zlib), positions encoded in bulk as Whoosh's format
  encodes them (`encoded_positions`), and each column written whole, the bytes its
  Whoosh writer writes (a full build keeps stored fields beside the segment,
  `dwsearch.index.stored`); and the table of contents that lists segments
  (`segments_of`, `write_toc`);
- the codec Whoosh's own writer is given (`writing_codec`), through Whoosh's extension
  points: a per-document reader that remembers a missing column instead of asking the
  file system for each posting, a postings writer that deflates faster, and a
  per-document writer that hands stored fields to a sink (dwsearch's blocks) instead of
  Whoosh's column; nothing is patched process-wide;
- where each part of a segment's compound file lies (`compound_parts`), for damage tests;
- an exclusion's matcher that checks its first document too (`excluding_matcher`).
"""

from __future__ import annotations

from .guard import (
    FAST,
    PUBLIC_ONLY_VARIABLE,
    SUPPORTED_VERSION,
    WhooshVersionWarning,
    crc32,
    deflater,
)
from .querying import (
    DocIdSet,
    field_range_plugin,
    length_table,
    position_decoder,
    typed_prefix_plugin,
)
from .reading import (
    Block,
    all_postings,
    constant_matcher,
    excluding_matcher,
    flat_postings,
    index_segments,
    length_bytes,
    open_index,
    open_segment,
    posting_blocks,
    posting_ids,
)
from .writing import (
    CodecSegments,
    FieldTerms,
    TermPostings,
    accent_map,
    bytes_column,
    can_write_segments,
    column_converter,
    compound_parts,
    counted_values,
    encoded_positions,
    field_terms,
    number_column,
    segment_reader,
    segments_of,
    write_toc,
    writing_codec,
)

__all__ = [
    "FAST",
    "PUBLIC_ONLY_VARIABLE",
    "SUPPORTED_VERSION",
    "Block",
    "CodecSegments",
    "DocIdSet",
    "FieldTerms",
    "TermPostings",
    "WhooshVersionWarning",
    "accent_map",
    "all_postings",
    "bytes_column",
    "can_write_segments",
    "column_converter",
    "compound_parts",
    "constant_matcher",
    "counted_values",
    "crc32",
    "deflater",
    "encoded_positions",
    "excluding_matcher",
    "field_range_plugin",
    "field_terms",
    "flat_postings",
    "index_segments",
    "length_bytes",
    "length_table",
    "number_column",
    "open_index",
    "open_segment",
    "position_decoder",
    "posting_blocks",
    "posting_ids",
    "segment_reader",
    "segments_of",
    "typed_prefix_plugin",
    "write_toc",
    "writing_codec",
]
