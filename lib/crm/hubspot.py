"""HubSpot CRM v3 with hubspot-api-client: deal properties read in batches (with their history, which
says who set a value) and updated in batches of 100. A 429 (100-190 requests per 10 s, by plan) waits
and retries, its policyName logged. Auth: a private app's HUBSPOT_ACCESS_TOKEN."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from hubspot.crm.deals.exceptions import ApiException as DealsApiException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from lib.crm.client import RecordState
from lib.crm.fields import HUBSPOT_TEXT_LENGTH, CrmField
from lib.crm.retry import RequestPacer, Transient, retry_after, with_retries
from lib.errors import ConfigError, CrmAuthError, CrmError
from lib.settings import Settings

T = TypeVar("T")
READ_BATCH = 50  # a batch read that asks for propertiesWithHistory takes at most 50 ids
UPDATE_BATCH = 100
GROUP = "meddpicc"
# Below the smallest plan's 100 requests per 10 s; a 429 is still waited out and retried.
PACE_REQUESTS, PACE_WINDOW_S = 90, 10.0
_TYPES = {"text": ("string", "textarea"), "number": ("number", "number"), "datetime": ("datetime", "date")}
ApiErrors = (DealsApiException, PropertiesApiException)


class HubSpotClient:
    name = "hubspot"
    record_id_form = "a number (the deal's Record ID)"

    def __init__(self, settings: Settings) -> None:
        if settings.hubspot_access_token is None:
            raise ConfigError("ASMIS_CRM=hubspot needs HUBSPOT_ACCESS_TOKEN (a private app's access token)")
        self.settings = settings
        self.api = HubSpot(access_token=settings.hubspot_access_token.get_secret_value(),
                           host=settings.hubspot_api_url.rstrip("/"))
        self.pacer = RequestPacer(PACE_REQUESTS, PACE_WINDOW_S)
        self._reached = False

    def _call(self, call: Callable[[], T], what: str) -> T:
        def once() -> T:
            self.pacer.wait()
            try:
                return call()
            except ApiErrors as exc:
                status = int(exc.status or 0)
                body = _body(exc)
                if status in (401, 403):
                    raise CrmAuthError(f"hubspot refused the credentials ({body.get('category') or status})") from None
                if status == 429:
                    raise Transient("HTTP 429 rate limited", wait=retry_after(_header(exc, "Retry-After")),
                                    policy=body.get("policyName")) from None
                if status >= 500 or status == 0:
                    raise Transient(f"HTTP {status} {body.get('category') or ''}".strip()) from None
                raise CrmError(f"hubspot: {what}: HTTP {status} {body.get('category') or ''}".strip()) from None
            except urllib3.exceptions.HTTPError as exc:
                raise Transient(f"cannot reach ({type(exc).__name__})") from None
        return with_retries(once, crm=self.name, what=what, retries=self.settings.crm_max_retries,
                            wait_cap=self.settings.crm_retry_wait_cap_seconds)

    def reach(self) -> None:
        """GET /crm/v3/objects/deals?limit=1: the token is good and HubSpot answers (once per client)."""
        if not self._reached:
            self._call(partial(self.api.crm.deals.basic_api.get_page, limit=1, archived=False), "reach HubSpot")
            self._reached = True

    def is_record_id(self, record_id: str) -> bool:
        return record_id.isascii() and record_id.isdigit()  # HubSpot record ids are numbers

    def read(self, record_ids: list[str], fields: list[CrmField]) -> dict[str, RecordState | None]:
        names = [f.name for f in fields]
        found: dict[str, RecordState | None] = {rid: None for rid in record_ids}
        asked = [rid for rid in record_ids if self.is_record_id(rid)]
        for start in range(0, len(asked), READ_BATCH):
            chunk = asked[start:start + READ_BATCH]
            request = BatchReadInputSimplePublicObjectId(
                properties=names, properties_with_history=names, inputs=[SimplePublicObjectId(id=i) for i in chunk])
            answer = self._call(partial(self.api.crm.deals.batch_api.read, request, archived=False), "read deals")
            for record in answer.results or []:
                history = record.properties_with_history or {}
                found[str(record.id)] = RecordState(
                    values={n: (record.properties or {}).get(n) for n in names},
                    set_by={n: _who(history[n][0]) for n in names if history.get(n)})
        return found

    def write(self, updates: Mapping[str, Mapping[str, str]], fields: list[CrmField]) -> dict[str, str | None]:
        results: dict[str, str | None] = {}
        items = list(updates.items())
        for start in range(0, len(items), UPDATE_BATCH):
            chunk = items[start:start + UPDATE_BATCH]
            body = BatchInputSimplePublicObjectBatchInput(
                inputs=[SimplePublicObjectBatchInput(id=rid, properties=dict(values)) for rid, values in chunk])
            answer = self._call(partial(self.api.crm.deals.batch_api.update, body), "update deals")
            done = {str(r.id) for r in answer.results or []}
            errors = getattr(answer, "errors", None) or []
            for rid, _ in chunk:
                results[rid] = None if rid in done else _error_for(rid, errors)
        return results

    def field_lengths(self, fields: list[CrmField]) -> dict[str, int]:
        return {f.name: f.length or HUBSPOT_TEXT_LENGTH for f in fields if f.kind == "text"}

    def _properties(self) -> dict[str, Any]:
        answer = self._call(lambda: self.api.crm.properties.core_api.get_all(object_type="deals"), "list properties")
        return {p.name: p for p in answer.results or []}

    def check(self, fields: list[CrmField]) -> list[str]:
        known = self._properties()
        problems = []
        for f in fields:
            found = known.get(f.name)
            if found is None:
                problems.append(f"missing: {f.name} ({_TYPES[f.kind][0]}, label {f.label!r}); "
                                "`asmis crm check --create` creates it")
            elif found.type != _TYPES[f.kind][0]:
                problems.append(f"wrong type: {f.name} is {found.type}, wants {_TYPES[f.kind][0]}")
        return problems

    def create(self, fields: list[CrmField]) -> list[str]:
        known = self._properties()
        missing = [f for f in fields if f.name not in known]
        if not missing:
            return []
        groups = self._call(lambda: self.api.crm.properties.groups_api.get_all(object_type="deals"), "list groups")
        if GROUP not in {g.name for g in groups.results or []}:
            group = PropertyGroupCreate(name=GROUP, label="MEDDPICC (ASMIS)", display_order=-1)
            self._call(lambda: self.api.crm.properties.groups_api.create("deals", group), "create the property group")
        for f in missing:
            kind, widget = _TYPES[f.kind]
            prop = PropertyCreate(name=f.name, label=f.label, type=kind, field_type="textarea" if kind == "string"
                                  else widget, group_name=GROUP, description="Written by ASMIS from call roll-ups.")
            self._call(partial(self.api.crm.properties.core_api.create, "deals", prop), f"create {f.name}")
        return [f.name for f in missing]


def _who(entry: Any) -> str:
    """'CRM_UI user 123', 'INTEGRATION 456': the latest entry of a property's history."""
    parts = [entry.source_type or "unknown"]
    if entry.updated_by_user_id:
        parts.append(f"user {entry.updated_by_user_id}")
    elif entry.source_id:
        parts.append(str(entry.source_id))
    return " ".join(parts)


def _error_for(record_id: str, errors: list[Any]) -> str:
    for error in errors:
        ids = (getattr(error, "context", None) or {}).get("ids") or []
        if record_id in ids:
            return f"{error.category}: {error.message}"
    return "not written"


def _body(exc: Any) -> dict[str, Any]:
    try:
        body = json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _header(exc: Any, name: str) -> str | None:
    headers = exc.headers or {}
    return headers.get(name) or headers.get(name.lower())
