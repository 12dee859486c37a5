"""Writes calloway-dental-revenue-cycle.docx: a sales call in the shape Microsoft Teams writes its
.docx transcripts (title, date, length, then `Name   m:ss` lines with the text below). Our own text,
written for the eval set (issue 25); run with python-docx installed: python make_calloway_docx.py"""

from __future__ import annotations

from pathlib import Path

import docx

TITLE = "Calloway Dental Group - revenue cycle review"
WHEN = "April 8, 2026, 3:00PM"
LENGTH = "41m 12s"
TURNS = [
    ("Lena Park", "0:04", "Hi everyone, thanks for making the time this afternoon. I'm Lena, the account "
     "executive at Northwind Analytics, and Sam Ortiz from our solutions team is with me."),
    ("Sam Ortiz", "0:15", "Hi all. I'll cover the technical side once we get there."),
    ("Priya Nair", "0:21", "Thanks Lena. I run revenue cycle for Calloway's forty-two practices. Tom Becker "
     "from IT is here, and Marcus Hale, our CFO, is joining for the second half."),
    ("Lena Park", "0:36", "Perfect. Priya, could you walk me through where claims get stuck today?"),
    ("Priya Nair", "0:44", "Denials are the big one. Our denial rate is eleven percent, and my billers "
     "spend about forty hours a week reworking claims that should have gone out clean."),
    ("Priya Nair", "1:02", "Most of it is eligibility and missing attachments. We only find out thirty days "
     "later when the payer rejects it."),
    ("Lena Park", "1:15", "That's a pattern we see a lot with multi-site groups. What would a good year look "
     "like for you?"),
    ("Priya Nair", "1:24", "Getting denials under six percent by December. That alone is roughly nine "
     "hundred thousand dollars in cash we're sitting on."),
    ("Tom Becker", "1:41", "From my side, anything we bring in has to read from Dentrix and write back "
     "without someone exporting spreadsheets. And it needs a current SOC 2 Type II report."),
    ("Sam Ortiz", "1:58", "We connect to Dentrix through the practice management API, read-only by default, "
     "and our SOC 2 Type II report is from January. I can send it with our security package."),
    ("Tom Becker", "2:14", "Good. Single sign-on through Azure AD is the other must-have."),
    ("Sam Ortiz", "2:20", "That's supported today, with SCIM provisioning for user accounts."),
    ("Lena Park", "2:31", "Are you looking at anyone else for this?"),
    ("Priya Nair", "2:36", "We had a demo from ClaimPilot last month, and some people here would rather "
     "just hire two more billers and keep doing it by hand."),
    ("Lena Park", "2:49", "Understood. What did you think of ClaimPilot?"),
    ("Priya Nair", "2:54", "Their rules engine is decent, but they wanted a twelve-month implementation. "
     "We can't wait that long."),
    ("Marcus Hale", "3:10", "Sorry I'm late. Priya's filled me in on the denial numbers."),
    ("Lena Park", "3:16", "Welcome, Marcus. We were just getting to how a decision like this gets made "
     "at Calloway."),
    ("Marcus Hale", "3:24", "Simple version: anything over a hundred thousand a year comes to me, and I "
     "take it to the board. The next board meeting is June eighteenth."),
    ("Marcus Hale", "3:38", "I need to see the payback in under twelve months, in our own numbers, not a "
     "generic ROI slide."),
    ("Lena Park", "3:47", "That's fair. We'd suggest a sixty-day pilot in six practices, measured against "
     "the denial rate Priya gave us."),
    ("Priya Nair", "3:58", "I like that. If the pilot shows what I think it will, I'll build the board deck "
     "with Marcus and make the case to the practice owners myself."),
    ("Marcus Hale", "4:12", "If Priya's behind it and the pilot numbers hold, I'll support it in June."),
    ("Lena Park", "4:20", "What does contracting usually look like on your side?"),
    ("Marcus Hale", "4:25", "Our general counsel reviews the MSA, and procurement will send a security "
     "questionnaire. Plan on three weeks for legal."),
    ("Tom Becker", "4:37", "I'll also need a BAA before any patient data touches your system."),
    ("Sam Ortiz", "4:44", "We sign BAAs as standard; I'll include ours with the security package."),
    ("Lena Park", "4:52", "Great. Next steps: I'll send the pilot plan and pricing by Friday, Sam sends the "
     "security package and BAA, and we'll pick a pilot start date."),
    ("Priya Nair", "5:06", "Works for me. Let's aim to start the pilot on May fourth."),
    ("Marcus Hale", "5:12", "Send the pricing to me and Priya both. Thanks, everyone."),
]


def main() -> None:
    document = docx.Document()
    for text in (TITLE, WHEN, LENGTH, "Lena Park started transcription"):
        document.add_paragraph(text)
    for name, clock, text in TURNS:
        document.add_paragraph(f"{name}   {clock}")
        document.add_paragraph(text)
    document.add_paragraph("Lena Park stopped transcription")
    document.save(Path(__file__).with_name("calloway-dental-revenue-cycle.docx"))


if __name__ == "__main__":
    main()
