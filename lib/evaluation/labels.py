"""`labels.json`: what a person says each call contains. Every key is optional per call; a key that is
absent is not scored for that call (an empty list is: it says there is nothing to find)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lib.agents.schemas import DealRole, ElementStatus, MeddpicElementName, Side
from lib.errors import AsmisError

LABELS_FILE = "labels.json"


class EvalError(AsmisError):
    """The evaluation could not run."""


class PersonLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    role: DealRole = "unknown"
    side: Side | None = None
    title: str | None = None


class CallLabels(BaseModel):
    model_config = ConfigDict(extra="allow")  # room for notes a labeller keeps beside the labels

    people: list[PersonLabel] | None = None
    meddpicc: dict[MeddpicElementName, ElementStatus] | None = None
    competitors: list[str] | None = None
    metrics: list[str] | None = None


class LabelSet(BaseModel):
    model_config = ConfigDict(extra="allow")

    calls: dict[str, CallLabels]


def load_labels(directory: Path) -> LabelSet:
    """DIR/labels.json, validated; a problem is one line naming the file, the call and the field."""
    path = directory / LABELS_FILE
    if not directory.is_dir():
        raise EvalError(f"{directory}: not a directory")
    if not path.is_file():
        raise EvalError(f"{path}: no labels file (expected {LABELS_FILE} beside the transcripts)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: not valid JSON: {exc}") from None
    try:
        labels = LabelSet.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise EvalError(f"{path}: {where}: {err['msg']}{more}") from None
    if not labels.calls:
        raise EvalError(f"{path}: no calls labelled")
    return labels
