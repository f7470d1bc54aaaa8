"""A small report document, rendered as a self-contained HTML page and a Markdown twin.

A :class:`Report` is a title plus sections of blocks (paragraphs, tables,
figures, code, file links, notes). :func:`write_report` writes both renderings
into a folder:

- ``report.html`` needs nothing else: the CSS is inline and every figure is
  embedded as a base64 ``data:`` URI, so the page opens offline, can be mailed
  as one file, and makes no network request. Links to the report's own files
  (``.crn``, SBML, CSV) are relative.
- ``report.md`` shows the same content and refers to the figure files next to it.

Inline markup in paragraph text: backticks for ``code``. Everything else is
escaped; a report never contains raw HTML from its inputs.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import InputDataError
from .._writing import write_output

MIME_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Paragraph:
    """Running text; backticks mark code."""

    text: str


@dataclass(frozen=True)
class Note:
    """A highlighted remark (a caveat, a skipped step and why)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells.

    Attributes
    ----------
    header : tuple of str
    rows : tuple of tuple of str
        Each row has one cell per header column.
    caption : str
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        header = tuple(str(cell) for cell in self.header)
        rows = tuple(tuple(str(cell) for cell in row) for row in self.rows)
        for index, row in enumerate(rows):
            if len(row) != len(header):
                raise ValueError(f"table row {index} has {len(row)} cells, expected {len(header)}")
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class Figure:
    """An image file in the report folder (path relative to it) with a caption."""

    path: str
    caption: str
    alt: str = ""


@dataclass(frozen=True)
class Code:
    """A preformatted block, e.g. the commands that made the report."""

    text: str


@dataclass(frozen=True)
class Links:
    """Files of the report folder: ``(relative path, description)`` pairs."""

    items: tuple[tuple[str, str], ...]


Block = Paragraph | Note | Table | Figure | Code | Links


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Report:
    """A whole report: a title, an optional subtitle line and sections."""

    title: str
    sections: tuple[Section, ...]
    subtitle: str = ""
    footer: str = field(default="")


# ---------------------------------------------------------------------------
# HTML

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.25em; margin: 1.8em 0 0.6em; padding-bottom: 0.25em; border-bottom: 1px solid var(--line); }
p.subtitle { color: var(--muted); margin-top: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
code { background: var(--band); padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: var(--band); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; }
pre code { background: none; padding: 0; }
.note { border-left: 4px solid #bf8700; background: #fff8c5; padding: 8px 12px; border-radius: 4px; }
.table-wrap { overflow-x: auto; margin: 0.6em 0 1.2em; }
table { border-collapse: collapse; font-size: 0.88em; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.num { text-align: right; }
figure { margin: 1em 0 1.4em; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
ul.files { padding-left: 1.2em; }
a { color: var(--accent); }
footer { margin-top: 3em; color: var(--muted); font-size: 0.85em; }
"""


_NUMERIC = re.compile(r"^[-+−]?[0-9.]")


def column_alignments(header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """``"right"`` for columns whose cells all read as numbers, else ``"left"``; the first is always left.

    A cell reads as a number if it starts like one and has at most 4 letters
    (``98.0% (147/150) at t = 50`` does, ``141/150 = 94.0% (4-8-3 binary ...)`` does not).
    """
    alignments = []
    for index in range(len(header)):
        cells = [str(row[index]).strip() for row in rows if str(row[index]).strip()]
        numeric = (
            index > 0
            and bool(cells)
            and all(
                _NUMERIC.match(cell) and sum(character.isalpha() for character in cell) <= 4 for cell in cells
            )
        )
        alignments.append("right" if numeric else "left")
    return tuple(alignments)


def _inline_html(text: str) -> str:
    """Escape `text`, then turn `code` spans into <code> elements."""
    escaped = html.escape(text, quote=False)
    return _CODE_SPAN.sub(lambda match: f"<code>{match.group(1)}</code>", escaped)


def _data_uri(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in MIME_TYPES:
        raise InputDataError(
            f"figure {path}: unsupported image type {suffix!r}; use one of {', '.join(MIME_TYPES)}"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputDataError(
            f"figure {path}: no such file; write the figure before rendering the report"
        ) from None
    return f"data:{MIME_TYPES[suffix]};base64,{base64.b64encode(data).decode('ascii')}"


def _table_html(table: Table) -> str:
    lines = ['<div class="table-wrap"><table>']
    if table.caption:
        lines.append(f"<caption>{_inline_html(table.caption)}</caption>")
    lines.append(
        "<thead><tr>" + "".join(f"<th>{_inline_html(cell)}</th>" for cell in table.header) + "</tr></thead>"
    )
    lines.append("<tbody>")
    classes = [
        ' class="num"' if side == "right" else "" for side in column_alignments(table.header, table.rows)
    ]
    for row in table.rows:
        lines.append(
            "<tr>"
            + "".join(f"<td{css}>{_inline_html(cell)}</td>" for css, cell in zip(classes, row, strict=True))
            + "</tr>"
        )
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _block_html(block: Block, folder: Path) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_inline_html(block.text)}</p>"
    if isinstance(block, Note):
        return f'<p class="note">{_inline_html(block.text)}</p>'
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Figure):
        uri = _data_uri(folder / block.path)
        alt = html.escape(block.alt or block.caption)
        return (
            f'<figure><img src="{uri}" alt="{alt}">'
            f"<figcaption>{_inline_html(block.caption)} (<code>{html.escape(block.path)}</code>)</figcaption></figure>"
        )
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(block.text, quote=False)}</code></pre>"
    if isinstance(block, Links):
        items = "".join(
            f'<li><a href="{html.escape(path)}"><code>{html.escape(path)}</code></a>: {_inline_html(text)}</li>'
            for path, text in block.items
        )
        return f'<ul class="files">{items}</ul>'
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_html(report: Report, folder: str | os.PathLike[str]) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    report : Report
    folder : path-like
        Where the figure files are; they are read and embedded as data URIs.

    Returns
    -------
    str
        An HTML5 document with inline CSS and no external references.

    Raises
    ------
    InputDataError
        A figure file is missing or not an image type that can be embedded.
    """
    folder = Path(folder)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body><main>",
        f"<h1>{_inline_html(report.title)}</h1>",
    ]
    if report.subtitle:
        parts.append(f'<p class="subtitle">{_inline_html(report.subtitle)}</p>')
    for section in report.sections:
        parts.append(f"<section><h2>{_inline_html(section.title)}</h2>")
        parts.extend(_block_html(block, folder) for block in section.blocks)
        parts.append("</section>")
    if report.footer:
        parts.append(f"<footer>{_inline_html(report.footer)}</footer>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Markdown


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned (:func:`column_alignments`)."""
    lines = [
        "| " + " | ".join(_markdown_cell(str(cell)) for cell in header) + " |",
        "|"
        + "|".join(":---" if side == "left" else "---:" for side in column_alignments(header, rows))
        + "|",
    ]
    lines.extend("| " + " | ".join(_markdown_cell(str(cell)) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def _block_markdown(block: Block) -> str:
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Note):
        return "> **Note.** " + block.text
    if isinstance(block, Table):
        caption = f"*{block.caption}*\n\n" if block.caption else ""
        return caption + markdown_table(block.header, block.rows)
    if isinstance(block, Figure):
        return f"![{block.alt or block.caption}]({block.path})\n\n*{block.caption}*"
    if isinstance(block, Code):
        return "```\n" + block.text.rstrip("\n") + "\n```"
    if isinstance(block, Links):
        return "\n".join(f"- [`{path}`]({path}): {text}" for path, text in block.items)
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_markdown(report: Report) -> str:
    """The report as Markdown; figures refer to their files next to the report."""
    parts = [f"# {report.title}"]
    if report.subtitle:
        parts.append(report.subtitle)
    for section in report.sections:
        parts.append(f"## {section.title}")
        parts.extend(_block_markdown(block) for block in section.blocks)
    if report.footer:
        parts.append("---\n\n" + report.footer)
    return "\n\n".join(parts) + "\n"


def write_report(report: Report, folder: str | os.PathLike[str], stem: str = "report") -> tuple[Path, Path]:
    """Write ``{stem}.html`` and ``{stem}.md`` into `folder`; returns both paths."""
    folder = Path(folder)
    html_path = folder / f"{stem}.html"
    markdown_path = folder / f"{stem}.md"
    write_output(html_path, render_html(report, folder))
    write_output(markdown_path, render_markdown(report))
    return html_path, markdown_path
