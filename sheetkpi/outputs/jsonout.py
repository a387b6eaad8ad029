"""The JSON object of ``sheetkpi check --json`` (SPEC §4)."""

from __future__ import annotations

import datetime as dt

from ..model import Evaluation


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def evaluation_dict(evaluation: Evaluation) -> dict:
    """Plain JSON-ready data: dates as ISO strings or null, numbers as numbers."""
    return {
        "valid": evaluation.valid,
        "as_of": _iso(evaluation.as_of),
        "as_of_source": evaluation.as_of_source,
        "units": [
            {
                "code": u.unit.code,
                "name": u.unit.name,
                "sheet": u.unit.sheet,
                "kpi_count": u.kpi_count,
                "weight_total": u.weight_total,
                "score_total": u.score_total,
                "expected_score": u.expected_score,
                "ratio": u.ratio,
                "grade": u.grade,
                "status_counts": u.status_counts,
                "at_risk_count": u.at_risk_count,
                "flags": u.flags,
            }
            for u in evaluation.units
        ],
        "kpis": [
            {
                "unit": k.kpi.unit,
                "code": k.kpi.code,
                "title": k.kpi.title,
                "sheet": k.kpi.sheet,
                "row": k.kpi.row,
                "weight": k.kpi.weight,
                "progress": k.effective_progress,
                "score": k.score,
                "status": k.status,
                "due": _iso(k.kpi.deadline.due),
                "due_kind": k.kpi.deadline.kind,
                "expected_progress": k.expected_progress,
                "warnings": list(dict.fromkeys(i.code for i in k.issues)),
            }
            for k in evaluation.kpis
        ],
        "issues": [i.to_dict() for i in evaluation.issues],
    }
