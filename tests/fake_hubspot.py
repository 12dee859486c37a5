"""A fake HubSpot CRM v3 API (deals and their properties) on loopback HTTP, from HubSpot's public docs:

- POST /crm/v3/objects/deals/batch/read `{properties, propertiesWithHistory, inputs: [{id}]}`: 200
  `{status: COMPLETE, results}`, or 207 with `errors: [{category: OBJECT_NOT_FOUND, context: {ids}}]`
  for ids it does not know; at most 100 inputs, 50 when propertiesWithHistory is asked
- POST /crm/v3/objects/deals/batch/update `{inputs: [{id, properties}]}`: at most 100; an unknown
  property is 400 VALIDATION_ERROR (PROPERTY_DOESNT_EXIST), an unknown id a 207 error
- GET /crm/v3/objects/deals?limit=N: a page of deals `{results: [{id, properties, createdAt, updatedAt,
  archived}], paging}` (the push's first, authenticated request)
- GET/POST /crm/v3/properties/deals, GET/POST /crm/v3/properties/deals/groups
- a wrong token is 401 `{category: INVALID_AUTHENTICATION}`; over the rate limit, 429 `{errorType:
  RATE_LIMIT, policyName: TEN_SECONDLY_ROLLING}` (no Retry-After, as HubSpot sends for that policy)

Its habits: every property value is a string (numbers too), a datetime reads back with milliseconds,
an empty string clears a value, and each change is kept in the property's history with its source.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fake_http import FakeServer, Reply, Request

TOKEN = "pat-na1-DO-NOT-LEAK-hubspot-0000"
_DEFAULT = {"dealname": "string", "amount": "number", "hs_object_id": "number"}


def meddpicc_properties() -> dict[str, dict[str, Any]]:
    keys = ["metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process",
            "identified_pain", "champion", "competition", "warnings"]
    props: dict[str, dict[str, Any]] = {f"meddpicc_{k}": {"type": "string", "fieldType": "textarea"} for k in keys}
    props["meddpicc_score"] = {"type": "number", "fieldType": "number"}
    props["meddpicc_updated_at"] = {"type": "datetime", "fieldType": "date"}
    return props


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeHubSpot(FakeServer):
    def __init__(self, with_meddpicc: bool = True) -> None:
        super().__init__()
        self.token = TOKEN
        self.properties: dict[str, dict[str, Any]] = {n: {"type": t, "fieldType": "text", "groupName": "dealinformation"}
                                                      for n, t in _DEFAULT.items()}
        if with_meddpicc:
            self.properties |= {n: {**p, "groupName": "meddpicc"} for n, p in meddpicc_properties().items()}
        self.groups = {"dealinformation"} | ({"meddpicc"} if with_meddpicc else set())
        self.deals: dict[str, dict[str, str]] = {}
        self.history: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add_deal(self, deal_id: str, **values: str) -> None:
        self.deals[deal_id] = {"dealname": f"Deal {deal_id}", "hs_object_id": deal_id}
        self.history[deal_id] = {}
        for name, value in values.items():
            self.edit(deal_id, name, value)

    def edit(self, deal_id: str, name: str, value: str, *, source: str = "CRM_UI", user: int | None = 7) -> None:
        """A rep types a value in HubSpot (or an integration writes one)."""
        self.deals[deal_id][name] = value
        entry: dict[str, Any] = {"value": value, "timestamp": _now(), "sourceType": source}
        if user is not None:
            entry["updatedByUserId"] = user
        else:
            entry["sourceId"] = "asmis-private-app"
        self.history[deal_id].setdefault(name, []).insert(0, entry)

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"status": "error", "message": "Authentication credentials not found. This API "
                               "supports OAuth 2.0 authentication.", "correlationId": str(uuid.uuid4()),
                               "category": "INVALID_AUTHENTICATION"})
        route = (request.method, request.path)
        if route == ("GET", "/crm/v3/objects/deals"):
            return self._page(int(request.query.get("limit", ["10"])[0]))
        if route == ("POST", "/crm/v3/objects/deals/batch/read"):
            return self._read(request.json())
        if route == ("POST", "/crm/v3/objects/deals/batch/update"):
            return self._update(request.json())
        if route == ("GET", "/crm/v3/properties/deals"):
            return Reply(200, {"results": [self._property(n) for n in self.properties]})
        if route == ("POST", "/crm/v3/properties/deals"):
            body = request.json()
            if body.get("groupName") not in self.groups:
                return _invalid(f"group {body.get('groupName')} does not exist")
            self.properties[body["name"]] = {"type": body["type"], "fieldType": body["fieldType"],
                                             "groupName": body["groupName"], "label": body.get("label")}
            return Reply(201, self._property(body["name"]))
        if route == ("GET", "/crm/v3/properties/deals/groups"):
            return Reply(200, {"results": [{"name": g, "label": g, "displayOrder": -1, "archived": False}
                                           for g in sorted(self.groups)]})
        if route == ("POST", "/crm/v3/properties/deals/groups"):
            body = request.json()
            self.groups.add(body["name"])
            return Reply(201, {"name": body["name"], "label": body.get("label"), "displayOrder": -1, "archived": False})
        return Reply(404, {"status": "error", "message": "Not found", "category": "OBJECT_NOT_FOUND"})

    def _page(self, limit: int) -> Reply:
        ids = sorted(self.deals, key=int)
        results = [{"id": i, "properties": {"dealname": self.deals[i].get("dealname"), "hs_object_id": i},
                    "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z", "archived": False}
                   for i in ids[:limit]]
        paging = {"next": {"after": str(int(ids[limit - 1]) + 1), "link": "?after="}} if len(ids) > limit else None
        return Reply(200, {"results": results} | ({"paging": paging} if paging else {}))

    def _property(self, name: str) -> dict[str, Any]:
        p = self.properties[name]
        return {"name": name, "label": p.get("label") or name, "type": p["type"], "fieldType": p["fieldType"],
                "groupName": p["groupName"], "description": "", "options": [], "displayOrder": -1,
                "calculated": False, "externalOptions": False, "hasUniqueValue": False, "hidden": False,
                "formField": False, "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z",
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False}}

    def _read(self, body: dict[str, Any]) -> Reply:
        inputs = [i["id"] for i in body.get("inputs", [])]
        if len(inputs) > (50 if body.get("propertiesWithHistory") else 100):
            return _invalid(f"too many inputs: {len(inputs)}")
        results, missing = [], []
        for deal_id in inputs:
            if deal_id not in self.deals:
                missing.append(deal_id)
                continue
            deal = self.deals[deal_id]
            item: dict[str, Any] = {"id": deal_id, "createdAt": "2025-01-01T00:00:00Z", "updatedAt": _now(),
                                    "archived": False,
                                    "properties": {n: deal.get(n) for n in [*body.get("properties", []), "hs_object_id"]}}
            if body.get("propertiesWithHistory"):
                item["propertiesWithHistory"] = {n: self.history[deal_id].get(n, []) for n in body["propertiesWithHistory"]}
            results.append(item)
        return self._batch(results, missing)

    def _update(self, body: dict[str, Any]) -> Reply:
        inputs = body.get("inputs", [])
        if len(inputs) > 100:
            return _invalid(f"too many inputs: {len(inputs)}")
        for item in inputs:
            unknown = [n for n in item.get("properties", {}) if n not in self.properties]
            if unknown:
                return _invalid(f'Property values were not valid: [{{"name":"{unknown[0]}","error":'
                                '"PROPERTY_DOESNT_EXIST"}]')
        results, missing = [], []
        for item in inputs:
            deal_id = item["id"]
            if deal_id not in self.deals:
                missing.append(deal_id)
                continue
            for name, value in item["properties"].items():
                if self.properties[name]["type"] == "number" and value != "":
                    value = re.sub(r"\.0$", "", str(value))
                if self.properties[name]["type"] == "datetime" and value:
                    value = datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                self.edit(deal_id, name, value, source="INTEGRATION", user=None)
            results.append({"id": deal_id, "properties": dict(self.deals[deal_id]), "createdAt": "2025-01-01T00:00:00Z",
                            "updatedAt": _now(), "archived": False})
        return self._batch(results, missing)

    @staticmethod
    def _batch(results: list[dict[str, Any]], missing: list[str]) -> Reply:
        body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
        if not missing:
            return Reply(200, body)
        body |= {"numErrors": 1, "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                            "message": "Could not get some DEAL objects, they may be deleted or not exist.",
                                            "context": {"ids": missing}}]}
        return Reply(207, body)


def rate_limited() -> Reply:
    return Reply(429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                       "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                       "policyName": "TEN_SECONDLY_ROLLING", "groupName": "publicapi:app-api-key:1234"})


def _invalid(message: str) -> Reply:
    return Reply(400, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                       "category": "VALIDATION_ERROR"})
