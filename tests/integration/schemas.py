"""The repository's JSON Schemas (schemas/*.json) as test helpers.

Every integration test that produces a report calls validate_report() on it, so the schema and
the writer (src/report/report.cpp) cannot drift apart unnoticed:

    from schemas import validate_report
    validate_report(json.loads(result.stdout))

validate_matrix() does the same for release matrices. Both raise AssertionError listing every
problem with its JSON path. Needs python3-jsonschema (Draft 2020-12 support: jsonschema >= 4).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

try:
    import jsonschema
except ImportError as e:  # pragma: no cover - a missing package is a setup error, not a skip
    raise ImportError("python3-jsonschema is required for the schema checks "
                      "(scripts/install-deps.sh installs it)") from e

SOURCE_DIR = Path(os.environ.get("OCX_SOURCE_DIR") or Path(__file__).resolve().parents[2])
SCHEMA_DIR = SOURCE_DIR / "schemas"
MATRIX_SCHEMA = SCHEMA_DIR / "release-matrix.v1.json"
REPORT_SCHEMA = SCHEMA_DIR / "report.v1.json"


@lru_cache(maxsize=None)
def validator(schema_path: str) -> "jsonschema.Draft202012Validator":
    """A Draft 2020-12 validator for one schema file (the schema itself is checked first)."""
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _pointer(path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def errors(instance, schema_path) -> list[str]:
    """Every violation as "/json/pointer: message", sorted by path (empty when valid)."""
    v = validator(str(schema_path))
    found = sorted(v.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for e in found:
        # oneOf/anyOf failures say little on their own: add the closest sub-error.
        detail = ""
        if e.context:
            best = jsonschema.exceptions.best_match(e.context)
            detail = " (%s: %s)" % (_pointer(best.absolute_path) or "/", best.message)
        out.append("%s: %s%s" % (_pointer(e.absolute_path) or "/", e.message, detail))
    return out


def _check(instance, schema_path, what: str) -> None:
    problems = errors(instance, schema_path)
    if problems:
        shown = json.dumps(instance, indent=2)
        if len(shown) > 4000:
            shown = shown[:4000] + "\n…"
        raise AssertionError("%s does not match %s:\n  %s\n--- %s:\n%s" % (
            what, schema_path.name, "\n  ".join(problems), what, shown))


def validate_report(report: dict) -> dict:
    """Raises AssertionError unless `report` (parsed JSON) matches schemas/report.v1.json.
    Returns the report, so it can be used inline."""
    _check(report, REPORT_SCHEMA, "report")
    return report


def validate_matrix(matrix: dict) -> dict:
    """Raises AssertionError unless `matrix` (parsed JSON) matches schemas/release-matrix.v1.json."""
    _check(matrix, MATRIX_SCHEMA, "matrix")
    return matrix


def report_errors(report: dict) -> list[str]:
    """The report schema's violations (empty when valid), for negative tests."""
    return errors(report, REPORT_SCHEMA)


def matrix_errors(matrix: dict) -> list[str]:
    """The matrix schema's violations (empty when valid), for negative tests."""
    return errors(matrix, MATRIX_SCHEMA)


__all__ = ["validate_report", "validate_matrix", "report_errors", "matrix_errors", "MATRIX_SCHEMA",
           "REPORT_SCHEMA", "SOURCE_DIR"]
