"""Write the auditor report of one synthesized stage.

    python -m tools.audit --assembly cdk.out/dev --out reports/dev

writes ``audit.md``, ``audit.html`` (self-contained: style and diagram inline),
``architecture.svg`` and ``audit.json`` into ``--out``. ``make audit STAGE=dev`` synthesizes the
stage first. The committed sample (tools/audit/sample/) is regenerated without make:

    npx cdk synth --quiet -c stage=dev -o cdk.out/dev
    .venv/bin/python -m tools.audit --assembly cdk.out/dev --out tools/audit/sample --formats md,svg
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .assembly import AssemblyError
from .cost import DEFAULT_PRICES, PriceTableError, format_usd
from .policies import PolicyError
from .render import to_html, to_markdown
from .report import DIAGRAM_FILE, build_document, run_audit, to_json

FORMATS = ("md", "html", "svg", "json")


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)}; got {value!r}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--assembly", type=Path, required=True, help="cloud assembly (cdk.out) of one stage"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the report files")
    parser.add_argument("--prices", type=Path, default=DEFAULT_PRICES, help="price table (JSON)")
    parser.add_argument(
        "--formats",
        type=_formats,
        default=FORMATS,
        help=f"comma-separated, from {','.join(FORMATS)}",
    )
    args = parser.parse_args(argv)
    try:
        audit = run_audit(args.assembly, args.prices)
    except (AssemblyError, PriceTableError, PolicyError, ValueError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    document = build_document(audit)
    written = []
    outputs = {
        "md": ("audit.md", lambda: to_markdown(document)),
        "html": ("audit.html", lambda: to_html(document)),
        "svg": (DIAGRAM_FILE, lambda: audit.diagram.svg),
        "json": ("audit.json", lambda: json.dumps(to_json(audit), indent=2) + "\n"),
    }
    for fmt in args.formats:
        name, produce = outputs[fmt]
        path = args.out / name
        path.write_text(produce(), encoding="utf-8")
        written.append(str(path))
    high = sum(1 for flag in audit.access.flags if flag.severity == "high")
    print(f"Audit of stage {audit.stage}: {', '.join(written)}")
    print(
        f"Idle cost {format_usd(audit.cost.total)}/month"
        + (f" (+{len(audit.cost.unpriced)} unpriced)" if audit.cost.unpriced else "")
        + f"; {high} high access flags; "
        f"{sum(1 for i in audit.encryption if i.flagged)} items not under a customer-managed key"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
