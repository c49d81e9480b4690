"""Normalized OpenAPI documents: the five vendor documents repaired, plus the merged canonical contract.

`specs/sources/` holds the vendor documents verbatim; `conformance specs normalize` writes
`specs/normalized/` (one OpenAPI 3.1 file per vendor + canonical.yaml, FIXES.yaml, CHOICES.yaml)
and `specs/DIFF.md`. Checks read schemas through `component_schema()`.
"""

from ._normalize import build_outputs, check_drift, main_normalize, normalize_all
from ._paths import DOCUMENT_NAMES, SpecsNotFoundError, document_path, normalized_dir
from ._schema import component_schema, load_document

__all__ = [
    "DOCUMENT_NAMES",
    "SpecsNotFoundError",
    "build_outputs",
    "check_drift",
    "component_schema",
    "document_path",
    "load_document",
    "main_normalize",
    "normalize_all",
    "normalized_dir",
]
