"""Salesforce over REST with simple-salesforce: Opportunity records, sObject Collections for many.

Auth: SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (a session or OAuth access token), or
SALESFORCE_USERNAME / _PASSWORD / _SECURITY_TOKEN (SALESFORCE_DOMAIN=test for a sandbox). TLS trust as
requests reads it (REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from lib.crm.client import RecordState
from lib.crm.fields import CrmField
from lib.crm.retry import Transient, with_retries
from lib.errors import ConfigError, CrmAuthError, CrmError, CrmUnavailable
from lib.settings import Settings

T = TypeVar("T")
OBJECT = "Opportunity"
COLLECTION_SIZE = 200  # sObject Collections update up to 200 records a request
RETRIEVE_SIZE = 2000  # and retrieve up to 2,000 (with a request body)
TIMEOUT = 30
_TYPES = {"text": ("textarea", "string"), "number": ("double", "currency", "percent", "int"),
          "datetime": ("datetime",)}
_ADMIN_TYPE = {"text": "Long Text Area(32768)", "number": "Number(3, 1)", "datetime": "Date/Time"}


class SalesforceClient:
    name = "salesforce"
    record_id_form = "an Opportunity id"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sf: Salesforce | None = None
        self._describe: dict[str, dict[str, Any]] | None = None

    def _connect(self) -> Salesforce:
        if self._sf is not None:
            return self._sf
        s = self.settings
        session = requests.Session()
        common: dict[str, Any] = {"version": s.salesforce_api_version, "session": session}
        if s.salesforce_instance_url and s.salesforce_access_token:
            self._sf = Salesforce(instance_url=s.salesforce_instance_url,
                                  session_id=s.salesforce_access_token.get_secret_value(), **common)
        elif s.salesforce_username and s.salesforce_password:
            token = s.salesforce_security_token.get_secret_value() if s.salesforce_security_token else ""
            user, password = s.salesforce_username, s.salesforce_password.get_secret_value()
            self._sf = self._call(lambda: Salesforce(username=user, password=password, security_token=token,
                                                     domain=s.salesforce_domain, **common), "log in")
        else:
            raise ConfigError("ASMIS_CRM=salesforce needs SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN, or "
                              "SALESFORCE_USERNAME, SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN")
        return self._sf

    def _call(self, call: Callable[[], T], what: str) -> T:
        def once() -> T:
            try:
                return call()
            except SalesforceRefusedRequest as exc:
                if _code(exc) == "REQUEST_LIMIT_EXCEEDED":  # the org's daily API limit: not worth a retry now
                    raise CrmUnavailable("salesforce: the org's API request limit is used up "
                                         "(REQUEST_LIMIT_EXCEEDED)") from None
                raise CrmAuthError(f"salesforce refused the credentials ({_code(exc)})") from None
            except (SalesforceExpiredSession, SalesforceAuthenticationFailed) as exc:
                raise CrmAuthError(f"salesforce refused the credentials ({_code(exc)})") from None
            except SalesforceError as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise Transient(f"HTTP {exc.status} {_code(exc)}") from None
                raise
            except requests.RequestException as exc:
                raise Transient(f"cannot reach {type(exc).__name__}") from None
        return with_retries(once, crm=self.name, what=what, retries=self.settings.crm_max_retries,
                            wait_cap=self.settings.crm_retry_wait_cap_seconds)

    def _rest(self, path: str, what: str, **kwargs: Any) -> Any:
        sf = self._connect()
        return self._call(lambda: sf.restful(path, timeout=TIMEOUT, **kwargs), what)

    def reach(self) -> None:
        """The Opportunity describe (which the push needs anyway, kept for field_lengths): logged in, and
        Salesforce answers."""
        self.describe()

    def is_record_id(self, record_id: str) -> bool:
        """Every id is asked: Salesforce itself answers an id that cannot be one (MALFORMED_ID) as not found."""
        return bool(record_id.strip())

    def read(self, record_ids: list[str], fields: list[CrmField]) -> dict[str, RecordState | None]:
        """One record: GET it (404 is not found). Many: sObject Collections retrieve, 2,000 a request,
        which answers null for an id it cannot find."""
        names = ["Id", *(f.name for f in fields)]
        if len(record_ids) == 1:
            [record_id] = record_ids
            try:
                record = self._rest(f"sobjects/{OBJECT}/{quote(record_id, safe='')}", "read an Opportunity",
                                    params={"fields": ",".join(names)})
            except SalesforceError as exc:
                if exc.status in (404, 400):  # NOT_FOUND, or MALFORMED_ID for an id that cannot be one
                    return {record_id: None}
                raise CrmError(f"salesforce: reading {record_id}: HTTP {exc.status} {_code(exc)}") from None
            return {record_id: _state(record, fields)}
        found: dict[str, RecordState | None] = {}
        for start in range(0, len(record_ids), RETRIEVE_SIZE):
            chunk = record_ids[start:start + RETRIEVE_SIZE]
            answer = self._rest(f"composite/sobjects/{OBJECT}", "read Opportunities", method="POST",
                                json={"ids": chunk, "fields": names}) or []
            for record_id, record in zip(chunk, answer, strict=False):
                found[record_id] = _state(record, fields) if record else None
        return found

    def write(self, updates: Mapping[str, Mapping[str, str]], fields: list[CrmField]) -> dict[str, str | None]:
        kinds = {f.name: f.kind for f in fields}
        body = {rid: {k: _wire(v, kinds.get(k, "text")) for k, v in values.items()} for rid, values in updates.items()}
        if len(body) == 1:
            [(record_id, values)] = body.items()
            try:
                self._rest(f"sobjects/{OBJECT}/{quote(record_id, safe='')}", "update an Opportunity",
                           method="PATCH", json=values)
            except SalesforceError as exc:
                return {record_id: f"HTTP {exc.status} {_code(exc)}"}
            return {record_id: None}
        results: dict[str, str | None] = {}
        items = list(body.items())
        for start in range(0, len(items), COLLECTION_SIZE):
            chunk = items[start:start + COLLECTION_SIZE]
            records = [{"attributes": {"type": OBJECT}, "id": rid, **values} for rid, values in chunk]
            answer = self._rest("composite/sobjects", "update Opportunities", method="PATCH",
                                json={"allOrNone": False, "records": records})
            for (rid, _), item in zip(chunk, answer or [], strict=False):
                errors = item.get("errors") or []
                results[rid] = None if item.get("success") else "; ".join(
                    f"{e.get('statusCode')}: {e.get('message')}" for e in errors) or "not written"
        return results

    def describe(self) -> dict[str, dict[str, Any]]:
        if self._describe is None:
            answer = self._rest(f"sobjects/{OBJECT}/describe", "describe Opportunity")
            self._describe = {f["name"]: f for f in (answer or {}).get("fields", [])}
        return self._describe

    def field_lengths(self, fields: list[CrmField]) -> dict[str, int]:
        """From describe(); a mapped field the org lacks stops the push before anything is written."""
        known = self.describe()
        missing = [f.name for f in fields if f.name not in known]
        if missing:
            raise CrmError(f"salesforce: Opportunity has no field {', '.join(missing)} "
                           "(`asmis crm check` lists what an admin creates, or map it away in ASMIS_CRM_MAPPING)")
        return {f.name: int(known[f.name].get("length") or f.length or 0) for f in fields if f.kind == "text"}

    def check(self, fields: list[CrmField]) -> list[str]:
        known = self.describe()
        problems = []
        for f in fields:
            found = known.get(f.name)
            if found is None:
                problems.append(f"missing: {f.name} ({_ADMIN_TYPE[f.kind]}, label {f.label!r})")
            elif found.get("type") not in _TYPES[f.kind]:
                problems.append(f"wrong type: {f.name} is {found.get('type')}, wants {_ADMIN_TYPE[f.kind]}")
            elif f.kind == "text" and f.length and int(found.get("length") or 0) < f.length:
                problems.append(f"too short: {f.name} holds {found.get('length')} characters, wants {f.length} "
                                "(longer values are cut)")
            elif not found.get("updateable", True):
                problems.append(f"read-only: {f.name} is not updateable for this user")
        return problems

    def create(self, fields: list[CrmField]) -> list[str]:
        raise CrmError("salesforce: custom fields are created by an admin in Setup (Object Manager > Opportunity > "
                       "Fields & Relationships); `asmis crm check` lists what is missing")


def _state(record: dict[str, Any] | None, fields: list[CrmField]) -> RecordState:
    return RecordState(values={f.name: (record or {}).get(f.name) for f in fields})


def _wire(value: str, kind: str) -> object:
    """Salesforce clears a field given null; numbers go as numbers."""
    if value == "":
        return None
    return float(value) if kind == "number" else value


def _code(exc: SalesforceError) -> str:
    if isinstance(exc, SalesforceAuthenticationFailed):  # the SOAP login's fault: INVALID_LOGIN, LOGIN_MUST_USE_...
        return str(exc.code or "")
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode") or content[0].get("message") or "")
    if isinstance(content, dict):
        return str(content.get("error") or content.get("errorCode") or "")
    return ""
