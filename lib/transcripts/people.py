"""Who was on the call, as a file's header lists them, and which side each speaker is on.

A participant line reads `Bob Stone (CFO, Kestrel Foods)`, `Bob Stone, CFO, Kestrel Foods`,
`Bob Stone - CFO at Kestrel Foods` or `Lena Park <lena@northwind.io> (Internal)`. A speaker label that is
a participant's full name, or first name(s) only one participant's name starts with, resolves to them.

Sides, strongest first: a role label (`REP`, `AE` are the seller; `PROSPECT`, `CUSTOMER` the buyer; see
`speakers.py`), an `Internal` / `External` tag, then the seller's company: `ASMIS_SELLER_COMPANY`, else
the company or e-mail domain of participants tagged Internal, else the one listed company whose people
hold selling jobs (account executive, solutions engineer, SDR, deal desk). Its people are the seller,
those of any other named company the buyer; with none of these, no side is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

Side = str  # "seller" | "buyer"
MAX_ENTRY = 300

_SELLER_ROLES = ("rep", "sales rep", "ae", "account executive", "sdr", "bdr", "se", "sales engineer",
                 "seller", "sales", "vendor", "csm", "account manager", "am")
_BUYER_ROLES = ("prospect", "customer", "client", "buyer")
_ROLE_LABEL = re.compile(
    rf"^(?P<role>{'|'.join(sorted((*_SELLER_ROLES, *_BUYER_ROLES), key=len, reverse=True))})"
    r"(?:[\s_-]*(?:\d{1,2}|[A-Z]))?$", re.IGNORECASE)
_INTERNAL = re.compile(r"^(?:internal|host|organi[sz]er|our team|us|seller|sales team)$", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:external|guest|customer|prospect|client|buyer|them)$", re.IGNORECASE)
_EMAIL = re.compile(r"<?\b(?P<email>[\w.+-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+))\b>?")
_TITLE_WORDS = re.compile(
    r"\b(?:C[EFOTIRM]O|CISO|VP|SVP|EVP|AVP|President|Director|Head|Manager|Lead|Chief|Officer|Executive|"
    r"Engineer|Architect|Analyst|Counsel|Controller|Founder|Owner|Partner|Specialist|Consultant|Coordinator|"
    r"Administrator|Admin|Buyer|Procurement|Rep|Representative|AE|SDR|BDR|SE|CSM|Principal|Associate|"
    r"Assistant|Treasurer|Secretary|Recruiter|Scientist|Developer|Designer|Superintendent|"
    r"Supervisor|Advisor|Strategist|Champion|Sponsor)\b", re.IGNORECASE)
_SELLING = re.compile(r"\b(?:account executive|AE|solutions? (?:engineer|consultant|architect)|sales engineer|SDR|BDR|"
                      r"sales development|business development rep|deal desk|account manager)\b", re.IGNORECASE)
_COMPANY_SUFFIX = re.compile(r"[,.]?\s+(?:inc|llc|ltd|limited|gmbh|ag|sa|plc|corp|corporation|co|company)\.?$",
                             re.IGNORECASE)
_PARENS = re.compile(r"[(\[]([^()\[\]]{0,200})[)\]]")
_AT = re.compile(r"\s+(?:at|@|from)\s+", re.IGNORECASE)
_DASH = re.compile(r"\s+[-–—|]\s+")


@dataclass(frozen=True)
class Participant:
    name: str
    title: str | None = None
    company: str | None = None
    email: str | None = None
    tag: Side | None = None  # from an Internal/External tag or group: "seller" / "buyer"
    side: Side | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def as_metadata(self) -> dict[str, Any]:
        fields = {"name": self.name, "title": self.title, "company": self.company, "email": self.email,
                  "side": self.side}
        return {k: v for k, v in fields.items() if v is not None}


def role_side(label: str | None) -> Side | None:
    """The side a role label implies: `REP`, `AE 2` -> seller; `PROSPECT`, `Customer` -> buyer."""
    match = _ROLE_LABEL.match((label or "").strip())
    if not match:
        return None
    return "seller" if match["role"].lower() in _SELLER_ROLES else "buyer"


def tag_side(text: str) -> Side | None:
    text = text.strip().strip("[]()").strip()
    if _INTERNAL.match(text):
        return "seller"
    if _EXTERNAL.match(text):
        return "buyer"
    return None


def parse_participants(value: str, company: str | None = None, tag: Side | None = None, *,
                       one: bool = False) -> list[Participant]:
    """A header value `A (CFO, X), B (AE, Y)`; with `one`, a list item, which is one person
    (`Bob Stone, CFO, Kestrel Foods`) unless it is a group: `Kestrel Foods: A, B` or `Internal: A, B`."""
    group = re.match(r"^(?P<group>[^:()<>@]{2,60}):\s*(?P<rest>.+)$", value)
    if group:
        side = tag_side(group["group"])
        return parse_participants(group["rest"], company if side else group["group"].strip(), side or tag)
    parts = [value] if one else split_outside_parens(value)
    return [p for p in (parse_participant(part, company, tag) for part in parts) if p]


def split_outside_parens(value: str, separators: str = ",;") -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for at, char in enumerate(value):
        if char in "([<":
            depth += 1
        elif char in ")]>":
            depth -= 1
        elif char in separators and depth <= 0:
            parts.append(value[start:at])
            start = at + 1
    parts.append(value[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_participant(text: str, company: str | None = None, tag: Side | None = None) -> Participant | None:
    text = re.sub(r"\*\*|__", "", text).strip()
    if len(text) > MAX_ENTRY:  # a participant entry is a name and a few words, not a paragraph
        return None
    email_match = _EMAIL.search(text)
    email = email_match["email"].lower() if email_match else None
    text = _EMAIL.sub("", text).replace("()", "").strip(" ,")
    inside = [x.strip() for x in _PARENS.findall(text)]
    text = _PARENS.sub("", text).strip()
    name, details = _name_and_details(text)
    for part in inside:
        details.extend(split_outside_parens(part))
    if not name or not _looks_like_person(name):
        return None
    title, company_found, tag_found = _read_details(details)
    return Participant(name=name, title=title, company=company_found or company, email=email,
                       tag=tag_found or tag)


def _name_and_details(text: str) -> tuple[str, list[str]]:
    pieces = _DASH.split(text, maxsplit=1)
    name, rest = pieces[0], pieces[1] if len(pieces) > 1 else ""
    if not rest and "," in name:
        name, rest = name.split(",", 1)
    details = split_outside_parens(rest) if rest else []
    return name.strip(" ,:"), details


def _read_details(details: list[str]) -> tuple[str | None, str | None, Side | None]:
    """`CFO`, `Kestrel Foods`, `Sales Manager, EMEA, Ledgerleaf`, `CFO at Kestrel Foods`: the last part
    that is not a title is the company, the rest the title."""
    tags = [tag_side(d) for d in details if tag_side(d)]
    details = [d for d in details if not tag_side(d)]
    title = company = None
    if len(details) == 1 and (at := _AT.split(details[0], maxsplit=1)) and len(at) == 2:
        title, company = at[0].strip(), at[1].strip()
    elif details and not _TITLE_WORDS.search(details[-1]) and (len(details) > 1 or not _looks_like_title(details[0])):
        title, company = ", ".join(details[:-1]) or None, details[-1]
    elif details:
        title = ", ".join(details)
    return title, company, tags[0] if tags else None


def _looks_like_title(text: str) -> bool:
    return bool(_TITLE_WORDS.search(text))


def _looks_like_person(name: str) -> bool:
    words = name.split()
    return 0 < len(words) <= 5 and all(w[0].isupper() or w.lower() in ("de", "van", "von", "da", "la", "del")
                                       for w in words)


def resolve_label(label: str, participants: list[Participant]) -> Participant | None:
    """The participant a speaker label names: the full name, or the first name(s) only one of them has."""
    folded = label.casefold()
    exact = [p for p in participants if p.name.casefold() == folded]
    if exact:
        return exact[0]
    words = folded.split()
    starts = [p for p in participants if p.name.casefold().split()[: len(words)] == words]  # `Mei Lin`, `Bob`
    return starts[0] if len(starts) == 1 else None


def with_sides(participants: list[Participant], seller_company: str | None) -> list[Participant]:
    """Each participant with the side their tag or company gives, where one can be told."""
    seller = _normalise(seller_company) if seller_company else None
    domains = {p.email.split("@")[1] for p in participants if p.tag == "seller" and p.email}
    companies = {_normalise(p.company) for p in participants if p.tag == "seller" and p.company}
    sellers = {seller} if seller else companies or _selling_company(participants)
    result = []
    for p in participants:
        side = p.tag
        if side is None and p.company and sellers:
            side = "seller" if _normalise(p.company) in sellers or _matches(p.company, sellers) else "buyer"
        if side is None and p.email and domains:
            side = "seller" if p.email.split("@")[1] in domains else "buyer"
        if side is None and p.email and seller:
            side = "seller" if seller.replace(" ", "") in p.email.split("@")[1].replace("-", "") else "buyer"
        result.append(replace(p, side=side))
    return result


def _selling_company(participants: list[Participant]) -> set[str]:
    """With no setting and no Internal tag: the one company whose people hold selling jobs (account
    executive, solutions engineer, SDR, deal desk) when the list names another company too."""
    companies = {_normalise(p.company) for p in participants if p.company}
    selling = {_normalise(p.company) for p in participants if p.company and p.title and _SELLING.search(p.title)}
    return selling if len(selling) == 1 and len(companies) > 1 else set()


def _normalise(company: str | None) -> str:
    return _COMPANY_SUFFIX.sub("", (company or "").strip()).casefold().strip()


def _matches(company: str, sellers: set[str]) -> bool:
    """`Northwind` matches `Northwind Analytics`: either name starting the other, on a word boundary."""
    mine = _normalise(company)
    return any(mine.startswith(s + " ") or s.startswith(mine + " ") for s in sellers if s)
