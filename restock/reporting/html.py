"""A self-contained HTML page: headings, paragraphs, tables and PNG figures embedded as base64.

The page holds no script and loads nothing: styles are inline in one ``<style>`` element and every
image is a ``data:image/png;base64,...`` URI, so the file opens in any browser from disk, mailed or
archived, without a server. Text and table cells are HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import pandas as pd

from restock.reporting.markdown import fmt

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #1d2a33; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 2px solid #219ebc; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2em; color: #023047; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .85em; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: right; }
th { background: #f0f4f8; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #e5e7eb; }
figcaption { font-size: .85em; color: #555; }
p.meta { color: #555; font-size: .9em; }
div.scroll { overflow-x: auto; }
"""


@dataclass(frozen=True)
class Table:
    """A captioned table."""

    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Image:
    """A captioned PNG figure."""

    caption: str
    png: bytes


@dataclass
class Section:
    """A heading with paragraphs, tables and figures, in that order."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


def _cell(value: object) -> str:
    return html.escape(fmt(value).replace("\\|", "|"))


def table_html(table: Table) -> str:
    """``table`` as an HTML ``<table>`` with a caption (numbers as :func:`restock.reporting.markdown.fmt`)."""
    frame = table.frame
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="scroll"><table><caption>{html.escape(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def image_html(image: Image) -> str:
    """``image`` as a ``<figure>`` with the PNG inlined as a base64 data URI."""
    data = base64.b64encode(image.png).decode("ascii")
    alt = html.escape(image.caption, quote=True)
    return (
        f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(image.caption)}</figcaption></figure>"
    )


def render(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole page as a string (UTF-8, no external resource, no script)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="meta">{html.escape(subtitle)}</p>')
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in section.paragraphs)
        parts.extend(table_html(t) for t in section.tables)
        parts.extend(image_html(i) for i in section.images)
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
