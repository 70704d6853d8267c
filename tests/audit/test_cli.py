"""The command: files written, the HTML self-contained, clear errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.audit.conftest import audit_of
from tests.conftest import SynthesizedStage
from tools.audit.__main__ import main
from tools.audit.render import Document, Table, to_html, to_markdown

SECTIONS = (
    "Inventory",
    "Encryption at rest",
    "Access matrix",
    "Network exposure",
    "Compliance register",
    "Idle cost",
    "Architecture",
)


@pytest.fixture(scope="module")
def report(dev: SynthesizedStage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    audit_of(dev)  # writes the acknowledgment register beside the templates, as app.py does
    out = tmp_path_factory.mktemp("report")
    assert main(["--assembly", str(dev.directory), "--out", str(out)]) == 0
    return out


def test_every_format_is_written(report: Path) -> None:
    names = sorted(p.name for p in report.iterdir())
    assert names == ["architecture.svg", "audit.html", "audit.json", "audit.md"]
    markdown = (report / "audit.md").read_text(encoding="utf-8")
    for number, section in enumerate(SECTIONS, start=1):
        assert f"## {number}. {section}" in markdown
    assert "![Architecture of stage dev](architecture.svg)" in markdown


def test_the_html_is_self_contained(report: Path) -> None:
    page = (report / "audit.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<style>" in page
    # url(#arrow) is the diagram's own arrowhead marker, inside the page.
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\((?!#)", page, re.IGNORECASE)
    assert not re.search(r"\ssrc\s*=", page, re.IGNORECASE)
    # Links (table of contents, price sources) are anchors to follow, never loaded.
    for target in re.findall(r'href="([^"]*)"', page):
        assert target.startswith(("#", "https://")), target
    assert re.findall(r"<a href=\"https://", page), "the price sources are linked"


def test_the_json_total_is_the_sum_of_its_lines(report: Path) -> None:
    data = json.loads((report / "audit.json").read_text(encoding="utf-8"))
    lines = [
        Decimal(line["monthly"]) for line in data["cost"]["lines"] if line["monthly"] is not None
    ]
    assert Decimal(data["cost"]["total"]) == sum(lines, Decimal(0))


def test_formats_can_be_chosen(dev: SynthesizedStage, tmp_path: Path) -> None:
    assert (
        main(["--assembly", str(dev.directory), "--out", str(tmp_path), "--formats", "md,svg"]) == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["architecture.svg", "audit.md"]


def test_a_missing_assembly_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--assembly", str(tmp_path / "cdk.out"), "--out", str(tmp_path / "r")]) == 2
    assert "cdk.out is not a directory (run synth first)" in capsys.readouterr().err


def test_table_cells_are_escaped() -> None:
    document = Document("T", [Table(["a|b"], [["x|y `s3:*` <b>*bold*</b>"]])])
    markdown = to_markdown(document)
    assert r"a\|b" in markdown and r"x\|y `s3:*` \<b\>\*bold\*\</b\>" in markdown
    page = to_html(document)
    assert "<code>s3:*</code>" in page and "&lt;b&gt;*bold*&lt;/b&gt;" in page
