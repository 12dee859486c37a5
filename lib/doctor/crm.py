"""The CRM check (ASMIS_CRM): the token accepted and every mapped field there, of the right type and long
enough, from the CRM's own field list (Salesforce `describe()`, HubSpot's properties API). Reads only."""

from __future__ import annotations

import asyncio

from lib.crm.push import crm_client, crm_fields
from lib.doctor.check import Check, DoctorContext, fail, ok
from lib.errors import AsmisError, CrmAuthError
from lib.settings import Settings

NAME = "crm"
_TOKEN_FIX = {
    "salesforce": "set a current SALESFORCE_ACCESS_TOKEN (with SALESFORCE_INSTANCE_URL), or SALESFORCE_USERNAME, "
                  "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN",
    "hubspot": "set HUBSPOT_ACCESS_TOKEN to a private app's token (scopes crm.objects.deals.*, crm.schemas.deals.*)",
}
_FIELDS_FIX = {
    "salesforce": "an admin creates them (Setup > Object Manager > Opportunity; README: CRM write-back); "
                  "`asmis crm check` lists them",
    "hubspot": "`asmis crm check --create` creates the missing properties",
}


async def check_crm(ctx: DoctorContext) -> list[Check]:
    crm = ctx.settings.crm
    if crm is None:
        return [ok(NAME, "not configured (ASMIS_CRM is unset): roll-ups stay in ASMIS")]
    probe = ctx.settings.model_copy(update={"crm_max_retries": 0})  # a check, not a push: no retries
    try:
        name, count, problems = await asyncio.to_thread(_check, probe)
    except CrmAuthError as exc:
        return [fail(NAME, str(exc), _TOKEN_FIX[crm])]
    except AsmisError as exc:
        return [fail(NAME, f"{crm}: {exc}" if not str(exc).startswith(crm) else str(exc),
                     "check ASMIS_CRM and its variables (README: CRM write-back)")]
    if problems:
        return [fail(NAME, f"{name}: {len(problems)} of {count} mapped fields not ready: " + "; ".join(problems),
                     _FIELDS_FIX[crm])]
    return [ok(NAME, f"{name}: token accepted; all {count} mapped fields there, of the right type and long enough")]


def _check(settings: Settings) -> tuple[str, int, list[str]]:
    """The CRM's name, how many fields are mapped, and what is wrong with them (blocking: the CRM SDKs are)."""
    client, fields = crm_client(settings), crm_fields(settings)
    return client.name, len(fields), client.check(fields)


def load_crm_sdk(ctx: DoctorContext) -> None:
    """Import the configured CRM's SDK before the check's clock starts (hubspot-api-client takes seconds)."""
    if ctx.settings.crm == "hubspot":
        import lib.crm.hubspot  # noqa: F401
    elif ctx.settings.crm == "salesforce":
        import lib.crm.salesforce  # noqa: F401
