"""A small document model written out as Markdown and as self-contained HTML.

Text may contain code spans in backticks (`s3:GetObject`); everything else is escaped. The HTML
carries its style inline and embeds the diagram's SVG: no script, stylesheet or image is fetched.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https://[^)\s]+)\)")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str
    css_class: str = ""


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    css_class: str = ""


@dataclass(frozen=True)
class Figure:
    svg: str  # inline in HTML
    file_name: str  # linked from Markdown
    alt: str


Block = Heading | Paragraph | Bullets | Table | Figure


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# --- Markdown ---------------------------------------------------------------------------------
def _spans(text: str) -> list[tuple[str, str]]:
    """Split text into ("code", ...), ("link", markdown) and ("plain", ...) pieces."""
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in re.finditer(f"{_CODE.pattern}|{_LINK.pattern}", text):
        pieces.append(("plain", text[last : match.start()]))
        pieces.append(("code" if match.group(0).startswith("`") else "link", match.group(0)))
        last = match.end()
    pieces.append(("plain", text[last:]))
    return pieces


def _md_text(text: str) -> str:
    """Escape Markdown emphasis and HTML in plain text; code spans and links pass through."""
    return "".join(
        re.sub(r"([*_<>\\[\]])", r"\\\1", piece) if kind == "plain" else piece
        for kind, piece in _spans(text)
    )


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(document: Document) -> str:
    lines = [f"# {document.title}", ""]
    for block in document.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {_md_text(block.text)}", ""]
        elif isinstance(block, Paragraph):
            lines += [_md_text(block.text), ""]
        elif isinstance(block, Bullets):
            lines += [f"- {_md_text(item)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            lines.append("|" + "|".join(" --- " for _ in block.headers) + "|")
            for row in block.rows:
                lines.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
            lines.append("")
        elif isinstance(block, Figure):
            lines += [f"![{block.alt}]({block.file_name})", ""]
    return "\n".join(lines).rstrip() + "\n"


# --- HTML -------------------------------------------------------------------------------------
_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #1d1d1d; line-height: 1.45; }
h1 { border-bottom: 2px solid #333; padding-bottom: .3em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; font-size: 12px;
       word-break: break-all; }
.figure { overflow-x: auto; border: 1px solid #ddd; padding: .5em; }
.summary { background: #f5f8ff; border-left: 4px solid #3366cc; padding: .6em 1em; }
nav ul { columns: 2; }
"""


def _html_text(text: str) -> str:
    pieces = []
    for kind, piece in _spans(text):
        if kind == "code":
            pieces.append(f"<code>{html.escape(piece[1:-1])}</code>")
        elif kind == "link":
            # Source links of the price table: plain anchors, nothing is loaded from them.
            match = _LINK.fullmatch(piece)
            assert match is not None
            pieces.append(
                f'<a href="{html.escape(match.group(2))}">{html.escape(match.group(1))}</a>'
            )
        else:
            pieces.append(html.escape(piece))
    return "".join(pieces).replace("\n", "<br>")


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def to_html(document: Document) -> str:
    body: list[str] = []
    toc: list[str] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            anchor = block.anchor or _anchor(block.text)
            level = block.level + 1
            body.append(f'<h{level} id="{anchor}">{_html_text(block.text)}</h{level}>')
            if block.level == 1:
                toc.append(f'<li><a href="#{anchor}">{_html_text(block.text)}</a></li>')
        elif isinstance(block, Paragraph):
            css = f' class="{block.css_class}"' if block.css_class else ""
            body.append(f"<p{css}>{_html_text(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_html_text(item)}</li>" for item in block.items)
            body.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{_html_text(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_html_text(cell)}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Figure):
            svg = block.svg.split("?>", 1)[-1]  # drop an XML declaration if any
            label = html.escape(block.alt)
            body.append(f'<div class="figure" role="figure" aria-label="{label}">{svg}</div>')
    nav = f"<nav><ul>{''.join(toc)}</ul></nav>" if toc else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(document.title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(document.title)}</h1>{nav}{''.join(body)}</body></html>\n"
    )
