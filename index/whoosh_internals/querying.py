"""The query side's uses of Whoosh below its public API: the query parser's plugin
internals, a field's encoded positions and quantised lengths, and the document sets
its collectors filter by."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from whoosh.idsets import DocIdSet
from whoosh.util.numeric import byte_to_length

__all__ = [
    "DocIdSet",
    "field_range_plugin",
    "length_table",
    "position_decoder",
    "typed_prefix_plugin",
]

# Makes a prefix's query: (field name, the prefix as typed, its boost, the schema).
PrefixMaker = Callable[[str, str, float, Any], Any]


def length_table() -> list[float]:
    """Each of the 256 quantised field lengths a segment stores, as a length."""
    return [byte_to_length(code) for code in range(256)]


def position_decoder(field: Any) -> Callable[[Any], list[int]]:
    """A function from a posting's stored value to the positions its field encodes."""
    return field.format.decode_positions


@cache
def typed_prefix_plugin(make: PrefixMaker) -> Any:
    """Whoosh's wildcard plugin, but a prefix (`word*`) becomes `make`'s query of the
    prefix as typed, instead of one Whoosh analyses (stems, drops as a stop word)."""
    from whoosh.qparser import plugins, syntax  # declared deferred: the query parser

    class TypedPrefixNode(syntax.TextNode):
        def query(self, parser: Any) -> Any:
            fieldname = self.fieldname or parser.fieldname
            found = make(fieldname, self.text, self.boost, parser.schema)
            return syntax.attach(found, self)

    class TypedPrefixPlugin(plugins.WildcardPlugin):
        def do_wildcards(self, parser: Any, group: Any) -> Any:
            group = super().do_wildcards(parser, group)
            for place, node in enumerate(group):
                if isinstance(node, plugins.PrefixPlugin.PrefixNode):
                    typed = TypedPrefixNode(node.text)
                    typed.startchar, typed.endchar = node.startchar, node.endchar
                    group[place] = typed
            return group

    return TypedPrefixPlugin


@cache
def field_range_plugin(before: re.Pattern[str], reach: int) -> Any:
    """Whoosh's range plugin, reading a range only where `before` matches the text
    just before it (up to `reach` characters back), so a range needs a field's name."""
    from whoosh.qparser import plugins  # declared deferred: the query parser

    class FieldRangeTagger(plugins.RangePlugin.RangeTagger):
        def create(self, parser: Any, match: Any) -> Any:
            start = match.start()
            if not before.search(match.string, max(0, start - reach), start):
                return None
            return super().create(parser, match)

    class FieldRangePlugin(plugins.RangePlugin):
        def taggers(self, parser: Any) -> list[tuple[Any, int]]:
            return [(FieldRangeTagger(self.expr, self.excl_start, self.excl_end), 1)]

    return FieldRangePlugin
