"""Auditor report of a synthesized cloud assembly: ``python -m tools.audit --assembly --out``.

Reads only what synth wrote (manifest.json, the stacks' templates, validation-report.json and
acknowledgment-register.json), never the CDK code, so the report describes exactly what would be
deployed. Sections: inventory, encryption at rest, access matrix, network exposure, compliance
register, idle cost and an architecture diagram.
"""
