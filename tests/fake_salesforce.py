"""A fake Salesforce REST API (Opportunity only) over HTTPS, from Salesforce's public REST API docs:

- GET  /services/data/vXX.X/sobjects/Opportunity/describe: `fields` with name, type, length, updateable
- GET  /services/data/vXX.X/sobjects/Opportunity/{id}?fields=a,b: the record with `attributes`;
  an unknown id is 404 `[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]`
- PATCH /services/data/vXX.X/sobjects/Opportunity/{id}: 204, or 400 INVALID_FIELD / STRING_TOO_LONG
- POST /services/data/vXX.X/composite/sobjects/Opportunity `{"ids", "fields"}`: up to 2,000 records, in
  the order asked, null for an id it cannot find
- PATCH /services/data/vXX.X/composite/sobjects: `{"allOrNone", "records": [...]}` up to 200 records
  (more is 400 EXCEEDED_ID_LIMIT), answered per record `{"id", "success", "errors"}`
- a wrong token is 401 `[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]`
- POST /services/Soap/u/XX.X, the SOAP `login` (username, password + security token): a `loginResponse`
  with `sessionId` and `serverUrl` (the instance), or a 500 SOAP fault `INVALID_LOGIN`. Clients post it to
  https://login.salesforce.com (test.salesforce.com for a sandbox): tests reach it through TunnelProxy.

Its habits, as the real one has them: a Number field reads back as a JSON float (8 -> 8.0), a Date/Time
as `2026-01-02T03:04:05.000+0000`, a null clears a field.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fake_http import FakeServer, Reply, Request

TOKEN = "00Dfake!AQ4AQ-DO-NOT-LEAK-salesforce"
_RECORD = re.compile(r"^/services/data/v[\d.]+/sobjects/Opportunity/([^/]+)$")
_DESCRIBE = re.compile(r"^/services/data/v[\d.]+/sobjects/Opportunity/describe$")
_SOAP_LOGIN = re.compile(r"^/services/Soap/u/([\d.]+)$")
_COLLECTION = re.compile(r"^/services/data/v[\d.]+/composite/sobjects$")
_RETRIEVE = re.compile(r"^/services/data/v[\d.]+/composite/sobjects/Opportunity$")
STANDARD = {"Id": {"type": "id", "length": 18, "updateable": False}, "Name": {"type": "string", "length": 120}}


def meddpicc_fields(text_length: int = 32768) -> dict[str, dict[str, Any]]:
    names = ["Metrics", "Economic_Buyer", "Decision_Criteria", "Decision_Process", "Paper_Process",
             "Identified_Pain", "Champion", "Competition", "Warnings"]
    fields: dict[str, dict[str, Any]] = {f"MEDDPICC_{n}__c": {"type": "textarea", "length": text_length} for n in names}
    fields["MEDDPICC_Score__c"] = {"type": "double", "length": 0, "precision": 3, "scale": 1}
    fields["MEDDPICC_Updated_At__c"] = {"type": "datetime", "length": 0}
    return fields


class FakeSalesforce(FakeServer):
    def __init__(self, certificate: tuple[Path, Path]) -> None:
        super().__init__(certificate)
        self.token = TOKEN
        self.fields: dict[str, dict[str, Any]] = {**STANDARD, **meddpicc_fields()}
        self.records: dict[str, dict[str, Any]] = {}
        self.logins: dict[str, str] = {}  # username -> password + security token, for the SOAP login

    def add_opportunity(self, record_id: str, **values: Any) -> None:
        self.records[record_id] = {"Id": record_id, "Name": f"Opportunity {record_id}", **values}

    def edit(self, record_id: str, field: str, value: Any) -> None:
        """A rep types a value in the Salesforce UI."""
        self.records[record_id][field] = value

    def handle(self, request: Request) -> Reply:
        if (login := _SOAP_LOGIN.match(request.path)) and request.method == "POST":
            return self._soap_login(request, login.group(1))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        if _DESCRIBE.match(request.path) and request.method == "GET":
            return Reply(200, {"name": "Opportunity", "fields": [
                {"name": n, "label": n, "updateable": True, **f} for n, f in self.fields.items()]})
        if _RETRIEVE.match(request.path) and request.method == "POST":
            body = request.json()
            if len(body["ids"]) > 2000:
                return Reply(400, [{"errorCode": "EXCEEDED_ID_LIMIT", "message": "Maximum number of ids is 2000"}])
            unknown = [f for f in body["fields"] if f not in self.fields]
            if unknown:
                return Reply(400, [{"errorCode": "INVALID_FIELD", "message": f"No such column '{unknown[0]}'"}])
            return Reply(200, [self._read(i, ",".join(body["fields"])) if i in self.records else None
                               for i in body["ids"]])
        if _COLLECTION.match(request.path) and request.method == "PATCH":
            return self._collection(request.json())
        match = _RECORD.match(request.path)
        if match:
            record_id = match.group(1)
            if record_id not in self.records:
                return Reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
            if request.method == "GET":
                return Reply(200, self._read(record_id, request.query.get("fields", [""])[0]))
            if request.method == "PATCH":
                errors = self._update(record_id, request.json())
                return Reply(400, errors) if errors else Reply(204)
        return Reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])

    def _soap_login(self, request: Request, version: str) -> Reply:
        user, secret = _xml_text(request.body, "username"), _xml_text(request.body, "password")
        if user is None or self.logins.get(user) != secret:
            return Reply(500, _SOAP.format(
                "<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid "
                "username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault>"
                "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, "
                "password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>"
                "</soapenv:Fault>"), {"Content-Type": "text/xml; charset=utf-8"})
        server = f"https://127.0.0.1:{self.port}/services/Soap/u/{version}/00Dfake0000001"
        return Reply(200, _SOAP.format(
            f"<loginResponse><result><metadataServerUrl>{server}</metadataServerUrl><passwordExpired>false"
            f"</passwordExpired><sandbox>false</sandbox><serverUrl>{server}</serverUrl><sessionId>{self.token}"
            "</sessionId><userId>005fake0000001</userId></result></loginResponse>"),
            {"Content-Type": "text/xml; charset=utf-8"})

    def _read(self, record_id: str, names: str) -> dict[str, Any]:
        record = self.records[record_id]
        wanted = [n for n in names.split(",") if n] or list(self.fields)
        out: dict[str, Any] = {"attributes": {"type": "Opportunity",
                                              "url": f"/services/data/v62.0/sobjects/Opportunity/{record_id}"}}
        for name in wanted:
            value = record.get(name)
            kind = self.fields.get(name, {}).get("type")
            if value is not None and kind == "double":
                value = float(value)
            elif value is not None and kind == "datetime":
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
                value = parsed.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
            out[name] = value
        return out

    def _update(self, record_id: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        for name, value in values.items():
            spec = self.fields.get(name)
            if spec is None or not spec.get("updateable", True):
                return [{"errorCode": "INVALID_FIELD", "message": f"No such column '{name}' on sobject of type "
                         "Opportunity", "fields": [name]}]
            if isinstance(value, str) and spec["type"] in ("textarea", "string") and len(value) > spec["length"]:
                return [{"errorCode": "STRING_TOO_LONG", "message": f"{name}: data value too large",
                         "fields": [name]}]
        self.records[record_id].update(values)
        return []

    def _collection(self, body: dict[str, Any]) -> Reply:
        records = body.get("records") or []
        if len(records) > 200:
            return Reply(400, [{"message": "Maximum number of records is 200", "errorCode": "EXCEEDED_ID_LIMIT"}])
        results = []
        for record in records:
            values = {k: v for k, v in record.items() if k not in ("attributes", "id")}
            record_id = record.get("id")
            if record_id not in self.records:
                results.append({"id": record_id, "success": False, "errors": [
                    {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]})
                continue
            errors = self._update(record_id, values)
            results.append({"id": record_id, "success": not errors,
                            "errors": [{"statusCode": e["errorCode"], "message": e["message"],
                                        "fields": e.get("fields", [])} for e in errors]})
        return Reply(200, results)


def _xml_text(body: bytes, tag: str) -> str | None:
    found = re.search(rf"<n1:{tag}>(.*?)</n1:{tag}>".encode(), body, re.S)
    return html.unescape(found.group(1).decode()) if found else None


_SOAP = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
         '"http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" '
         'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')
