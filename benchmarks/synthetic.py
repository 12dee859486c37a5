"""Realistic synthetic sales calls (~40 KB, several speakers) for benchmarks."""

from __future__ import annotations

import random

BUYERS = ["Dana Whitfield (CFO)", "Priya Raman (VP Operations)", "Marcus Lee (IT Director)", "Elena Ortiz (Procurement)"]
SELLERS = ["Sam Carter (Account Executive)", "Jo Nakamura (Solutions Engineer)"]
LINES = [
    "Our biggest problem is that onboarding a new carrier takes six weeks and it is all spreadsheets.",
    "If we could cut that by 40% it would save roughly $300,000 a year in overtime alone.",
    "I own the budget for this, and anything over $250,000 needs my sign-off and the board's.",
    "We are also evaluating Gainsight and an in-house build that our engineers proposed.",
    "Security review usually takes three weeks, and legal will want redlines on the MSA.",
    "What would a pilot look like, and who on your side would need to be involved?",
    "Our platform integrates with Salesforce and NetSuite out of the box, with SSO via Okta.",
    "I will make the case internally, I am pretty convinced this solves our problem.",
    "Procurement needs a signed DPA and a SOC 2 report before we can issue a PO.",
    "Can we schedule a follow up with the steering committee next Tuesday?",
    "The decision will be made by the end of the quarter, probably in the March board meeting.",
    "Honestly the current vendor has been a disappointment, churn went up 12% last year.",
]


def transcript_text(seed: int, target_bytes: int = 40_000) -> str:
    """Plain-text transcript with [hh:mm:ss] stamps, about target_bytes long."""
    rng = random.Random(seed)
    people = [p.split(" (")[0] for p in BUYERS + SELLERS]
    rows, size, second = [f"# Title: Call {seed} with Northwind Freight"], 0, 0
    while size < target_bytes:
        speaker = rng.choice(people)
        text = " ".join(rng.sample(LINES, 2)) + f" (topic {rng.randrange(1000)})"
        row = f"[{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}] {speaker}: {text}"
        rows.append(row)
        size += len(row) + 1
        second += rng.randrange(5, 40)
    return "\n".join(rows) + "\n"
