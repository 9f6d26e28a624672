"""Rendering Results for people (text, colour on a terminal) and programs (JSON).

Printers know nothing of how a search was done; they only read Results.
"""

from __future__ import annotations

import html
import json
import re
import shlex
from dataclasses import asdict
from typing import Any

import click

from dwsearch.ingest.chunk import Chunk
from dwsearch.search.results import Hit, Results, Segment, Share, Snippet

MARK_STYLE = {"fg": "red", "bold": True}
FACET_SUMMARY_VALUES = 5
# Characters a terminal would act on rather than show: C0 and C1 controls (escape
# sequences start with one), line and paragraph separators, and the bidirectional
# overrides that reorder what is shown.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# The same, less the tab and the line break: a chunk's text may have several lines.
_INVISIBLE_IN_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    return match.group(0).encode("unicode_escape").decode()


def visible(text: str) -> str:
    """Text safe to print within one line of a terminal: each control character, a line
    break too (a file name may hold one), shown as an escape."""
    return _INVISIBLE.sub(_escape, text)


def visible_text(text: str) -> str:
    """As `visible`, but keeping line breaks and tabs: for a chunk's text."""
    return _INVISIBLE_IN_TEXT.sub(_escape, text)


def hyperlink(text: str, url: str, style: Style) -> str:
    """`text` as a terminal hyperlink (OSC 8) where colour is on, plain text otherwise."""
    if not (style.color and url.startswith(("https://", "http://"))):
        return text
    return f"\x1b]8;;{visible(url)}\x1b\\{text}\x1b]8;;\x1b\\"


class Style:
    """Colours on or off; one place decides."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **style: Any) -> str:
        return click.style(text, **style) if self.color and text else text


def snippet_text(snippet: Snippet, style: Style, **base: Any) -> str:
    """Plain text with matches styled; `base` styles the rest (styles do not nest)."""
    body = "".join(
        style(visible_text(s.text), **MARK_STYLE)
        if s.marked
        else style(visible_text(s.text), **base)
        for s in snippet.segments
    )
    return f"{'… ' if snippet.cut_before else ''}{body}{' …' if snippet.cut_after else ''}"


def snippet_html(snippet: Snippet) -> str:
    """HTML-escaped, with matches in <mark>; safe to put in a page."""
    body = "".join(
        f"<mark>{html.escape(s.text)}</mark>" if s.marked else html.escape(s.text)
        for s in snippet.segments
    )
    return f"{'… ' if snippet.cut_before else ''}{body}{' …' if snippet.cut_after else ''}"


def date_label(chunk: Chunk) -> str:
    """`2017-04-24`, or `2017-04-24 to 2017-04-28` for a range."""
    if chunk.date_end and chunk.date_end != chunk.date:
        return f"{chunk.date} to {chunk.date_end}"
    return chunk.date


def _meta(chunk: Chunk) -> str:
    parts = [visible(chunk.type)]
    if chunk.date:
        parts.append(visible(date_label(chunk)))
    elif chunk.years:
        parts.append(", ".join(str(y) for y in chunk.years))
    return " · ".join(parts)


def facet_summary(facets: dict[str, dict[str, int]]) -> str:
    parts = []
    for facet, counts in facets.items():
        if counts:
            shown = list(counts.items())[:FACET_SUMMARY_VALUES]
            more = " …" if len(counts) > FACET_SUMMARY_VALUES else ""
            parts.append(f"{facet}: " + ", ".join(f"{visible(v)} {n}" for v, n in shown) + more)
    return " | ".join(parts)


def render_text(results: Results, style: Style, explain: bool = False) -> str:
    lines = []
    if results.suggestion is not None:
        lines.append(style(f"Showing results for: {visible(results.suggestion)}", bold=True))
        lines.append("")
    last_of_page = {hit.chunk.source: rank for rank, hit in enumerate(results.hits)}
    # With one page in the whole result, "on 1 page" below already says where the rest are.
    several_pages = results.pages > 1
    for rank, hit in enumerate(results.hits, start=results.offset + 1):
        lines.extend(_hit_lines(rank, hit, style, explain))
        listed_last = last_of_page[hit.chunk.source] == rank - results.offset - 1
        if several_pages and hit.more_from_page and listed_last:
            lines[-1:-1] = [style(more_from_page_line(hit), dim=True)]
    shown = f"{results.offset + 1}–{results.offset + len(results.hits)} of " if results.hits else ""
    noun = "result" if results.total == 1 else "results"
    summary = facet_summary(results.facets)
    lines.append(
        style(f"{shown}{results.total} {noun}{on_pages(results)}", bold=True)
        + (f"  {summary}" if summary else "")
    )
    return "\n".join(lines)


def on_pages(results: Results) -> str:
    """` on 6 pages`, after a count of results; nothing when none matched."""
    if not results.pages:
        return ""
    return f" on {results.pages} {'page' if results.pages == 1 else 'pages'}"


def more_from_page_line(hit: Hit) -> str:
    """Under a page's last hit listed: how many more it holds, and the filter that
    lists them."""
    source = visible(shlex.quote(hit.chunk.source))
    return f"     {hit.more_from_page} more from this page: --from-page {source}"


def place_line(chunk: Chunk, style: Style) -> str:
    """Where a chunk stands, as a reader names it (page title › section), then its address
    on the web: the file and line stay in the JSON, for tools."""
    where = style(visible(chunk.breadcrumb), dim=True)
    if chunk.url:
        where = f"{where}  {hyperlink(visible(chunk.url), chunk.url, style)}"
    return where


def _hit_lines(rank: int, hit: Hit, style: Style, explain: bool) -> list[str]:
    chunk = hit.chunk
    head = f"{rank:>3}. " + snippet_text(hit.title, style, bold=True)
    out = [f"{head}  {style(_meta(chunk), fg='cyan')}", "     " + place_line(chunk, style)]
    if chunk.text:
        out.append("     " + snippet_text(hit.snippet, style))
    if explain:
        out.append(f"     score {hit.score:.4f}, because:")
        said = explained(hit.explanation) or ["it passed the filters (no word was searched)"]
        out.extend(f"       {visible(line)}" for line in said)
    out.append("")
    return out


_TIMES = {1: "once", 2: "twice"}
_FIELDS = {"title": "the title", "text": "the text"}


def explained(shares: tuple[Share, ...]) -> list[str]:
    """A hit's score in words, a line per word or phrase of the query: where it was
    found, how often, its weight, and its share of the score.

        cybersecurity: once in the title (×1.5) and 3 times in the text: 4.2109
    """
    by_typed: dict[tuple[str, str], list[Share]] = {}
    for share in shares:
        by_typed.setdefault((share.kind, share.typed), []).append(share)
    lines = []
    for (kind, typed), found in by_typed.items():
        places = []
        for share in found:
            times = _TIMES.get(share.count, f"{share.count} times") if share.count else ""
            weight = f" (×{share.weight:.3g})" if round(share.weight, 3) != 1 else ""
            places.append(f"{times} in {_FIELDS.get(share.field, share.field)}{weight}".strip())
        where = " and ".join(places)
        total = sum(share.score for share in found)
        if kind == "side by side":
            lines.append(f'"{typed}" side by side {where}: bonus {total:.4f}')
        elif kind == "phrase":
            lines.append(f'the phrase "{typed}" {where}: {total:.4f}')
        elif kind == "read as" and typed:
            lines.append(f"{typed}, read as '{found[0].term}': {where}: {total:.4f}")
        elif kind == "read as":
            lines.append(f"'{found[0].term}', another form of a word typed: {where}: {total:.4f}")
        else:
            lines.append(f"{typed}: {where}: {total:.4f}")
    return lines


def hit_json(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    data: dict[str, Any] = {
        "id": chunk.id,
        "score": hit.score,
        "type": chunk.type,
        "title": chunk.title,
        "text": chunk.text,
        "snippet": snippet_html(hit.snippet),
        "title_snippet": snippet_html(hit.title),
        "kind": chunk.kind,
        "page": chunk.page,
        "page_title": chunk.page_title,
        "url": chunk.url,
        "section": chunk.section,
        "date": chunk.date,
        "date_end": chunk.date_end,
        "years": list(chunk.years),
        "topics": list(chunk.topics),
        "sectors": list(chunk.sectors),
        "baskets": list(chunk.baskets),
        "source": chunk.source,
        "lines": list(chunk.lines) if isinstance(chunk.lines, tuple) else chunk.lines,
        "breadcrumb": chunk.breadcrumb,
        "more_from_page": hit.more_from_page,
        # The snippet's passages, best first (`snippet` joins them with "…").
        "passages": [snippet_html(passage) for passage in hit.snippet.parts],
    }
    if hit.explanation:
        data["explanation"] = [share.raw for share in hit.explanation]  # Whoosh's form
        data["shares"] = [asdict(share) for share in hit.explanation]
    return data


_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def snippet_from_html(marked: str) -> Snippet:
    """The snippet `snippet_html` wrote: the inverse, for a client of the JSON API."""
    cut_before, cut_after = marked.startswith("… "), marked.endswith(" …")
    body = marked[2 if cut_before else 0 : len(marked) - 2 if cut_after else len(marked)]
    segments, cursor = [], 0
    for match in _MARK.finditer(body):
        if match.start() > cursor:
            segments.append(Segment(html.unescape(body[cursor : match.start()])))
        segments.append(Segment(html.unescape(match.group(1)), marked=True))
        cursor = match.end()
    if cursor < len(body):
        segments.append(Segment(html.unescape(body[cursor:])))
    return Snippet(tuple(segments), cut_before, cut_after)


def results_from_data(data: dict[str, Any]) -> Results:
    """The Results `results_data` describes: what a client of the JSON API prints."""
    hits = []
    for hit in data.get("hits", []):
        lines = hit["lines"]
        chunk = Chunk(
            id=hit["id"], page=hit["page"], page_title=hit["page_title"], type=hit["type"],
            section=hit["section"], title=hit["title"], text=hit["text"],
            years=tuple(hit["years"]), topics=tuple(hit["topics"]),
            baskets=tuple(hit["baskets"]), sectors=tuple(hit["sectors"]),
            source=hit["source"], lines=tuple(lines) if isinstance(lines, list) else lines,
            url=hit["url"], date=hit["date"], date_end=hit["date_end"], kind=hit["kind"],
        )  # fmt: skip
        snippet = snippet_from_html(hit["snippet"])
        passages = [snippet_from_html(marked) for marked in hit.get("passages", ())]
        if len(passages) > 1:
            snippet = Snippet.joined(passages)
        title = snippet_from_html(hit["title_snippet"])
        shares = tuple(Share(**share) for share in hit.get("shares", ()))
        more = hit.get("more_from_page", 0)
        hits.append(Hit(chunk, hit["score"], snippet, title, shares, more))
    return Results(
        query=data["query"],
        total=data["total"],
        offset=data["offset"],
        limit=data["limit"],
        took_ms=data["took_ms"],
        suggestion=data["suggestion"],
        hits=hits,
        facets=data["facets"],
        sort=data["sort"],
        pages=data.get("pages", 0),
    )


def results_json(results: Results, with_hits: bool = True) -> str:
    return json.dumps(results_data(results, with_hits), ensure_ascii=False)


def results_data(results: Results, with_hits: bool = True) -> dict[str, Any]:
    """The object `--json` prints, for a program (the web API) to serialise its own way."""
    data: dict[str, Any] = {
        "query": results.query,
        "total": results.total,
        "pages": results.pages,
        "offset": results.offset,
        "limit": results.limit,
        "sort": results.sort,
        "took_ms": results.took_ms,
        "suggestion": results.suggestion,
    }
    if with_hits:
        data["hits"] = [hit_json(hit) for hit in results.hits]
    data["facets"] = results.facets
    return data


def render_facets_text(results: Results) -> str:
    lines = [f"{results.total} {'result' if results.total == 1 else 'results'}{on_pages(results)}"]
    if results.suggestion is not None:
        lines.insert(0, f"Showing results for: {visible(results.suggestion)}")
    for facet, counts in results.facets.items():
        lines.append(f"\n{facet}:")
        lines.extend(f"  {visible(value):<40} {count:>6}" for value, count in counts.items())
        if not counts:
            lines.append("  (none)")
    return "\n".join(lines)


def render_chunk_text(chunk: Chunk, style: Style) -> str:
    rows = [
        ("id", chunk.id),
        ("type", chunk.type),
        ("kind", chunk.kind),
        ("page", f"{chunk.page_title} ({chunk.page})"),
        ("url", chunk.url),
        ("section", chunk.section),
        ("source", chunk.location),
        ("date", date_label(chunk)),
        ("years", ", ".join(map(str, chunk.years))),
        ("sectors", ", ".join(chunk.sectors)),
        ("topics", ", ".join(chunk.topics)),
        ("baskets", ", ".join(chunk.baskets)),
    ]
    lines = [
        style(visible(chunk.display_title), bold=True),
        style(visible(chunk.breadcrumb), dim=True),
        "",
    ]
    if chunk.text:
        lines += [visible_text(chunk.text), ""]
    lines += [f"{style(f'{name:<8}', dim=True)} {visible(value)}" for name, value in rows if value]
    return "\n".join(lines)


def render_chunk_listing(chunk: Chunk, style: Style) -> str:
    """A chunk as `dwsearch chunks` lists it: its title and type, its place as a search
    hit names it, the start of its text, its dates and facets."""
    facets = []
    if chunk.date:
        facets.append("date " + date_label(chunk))
    if chunk.years:
        facets.append("years " + ", ".join(map(str, chunk.years)))
    if chunk.sectors:
        facets.append("sectors " + ", ".join(chunk.sectors))
    if chunk.topics:
        facets.append("topics " + ", ".join(chunk.topics))
    title = style(visible(chunk.display_title), bold=True)
    lines = [f"{title}  {style(f'[{visible(chunk.type)}]', fg='cyan')}"]
    lines.append("    " + place_line(chunk, style))
    if chunk.text and chunk.title:
        lines.append("    " + visible_text(chunk.text))
    elif chunk.text:
        cut = "…" if len(chunk.text) > 300 else ""
        lines.append(f"    {visible_text(chunk.text[:300])}{cut}")
    if facets:
        lines.append("    " + visible("; ".join(facets)))
    return "\n".join(lines) + "\n"
