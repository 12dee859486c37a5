"""The vocabulary of a sales call as compiled regular expressions: quantities, dates, titles and names.
Everything here is compiled once, at import."""

from __future__ import annotations

import re

ICASE = re.IGNORECASE


def words(*alternatives: str) -> str:
    """A non-capturing alternation, longest first so that 'head of sales' wins over 'head'."""
    return "(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + ")"


# --- numbers and quantities -------------------------------------------------------------------------
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "a hundred": 100, "a dozen": 12, "a couple of": 2, "a couple": 2, "half": 0.5, "a quarter": 0.25,
    "a third": 1 / 3,
}
NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|" + words(*NUMBER_WORDS) + r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)"
_RANGE = rf"{NUM}(?:\s?(?:to|-|–|or)\s?{NUM})?"
_SCALE = r"(?:\s?(?:k|K|m|M|mm|MM|bn|B)\b|\s(?:thousand|million|billion)\b)"
CURRENCY_CODE = r"(?-i:USD|EUR|GBP|AUD|CAD|CHF|NZD|ZAR)"
_RAND = r"(?-i:R)\s?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?\s?(?-i:k|m|million|bn)\b)"  # 'R550,000', 'R2.4m'
# '$40k', 'EUR 180,000', 'forty thousand dollars', 'four hundred grand'
MONEY = re.compile(rf"(?:[$€£]\s?{_RANGE}{_SCALE}?|\b{CURRENCY_CODE}\s?{_RANGE}{_SCALE}?|\b{_RAND}"
                   rf"|\b{NUM}{_SCALE}?\s(?:dollars|euros|pounds|USD|EUR|GBP)\b|\b{NUM}(?:\s(?:hundred|thousand))?\sgrand\b"
                   rf"|\b\d+(?:\.\d+)?\s?[kK]\b(?!\w))", ICASE)
# 'one in eight containers', '1 in 40 payments', 'two out of every five calls'
RATIO = re.compile(rf"\b{NUM}\s(?:in|out of)\s(?:every\s)?{NUM}\b(?!\s(?:the|a|an)\b)(?:\s[a-z][\w-]*s\b)?", ICASE)
PERCENT = re.compile(rf"\b{_RANGE}\s?(?:%|percent\b|per cent\b|pct\b)", ICASE)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|years?)"
DURATION = re.compile(
    rf"\b{_RANGE}[\s-](?:(?:business|working|calendar|full|man|person)[\s-])?{_UNIT}\b"
    r"(?:\s(?:a|per|each|every)\s(?:day|night|shift|week|month|quarter|year))?", ICASE)
BUSINESS_NOUNS = words(
    "customers", "accounts", "clients", "users", "reps", "seats", "licen[cs]es", "invoices", "tickets",
    "deals", "employees", "people", "clerks", "agents", "spreadsheets", "calls", "leads", "hires",
    "locations", "stores", "sites", "entities", "transactions", "orders", "claims", "records", "FTEs?",
    "engineers", "CSMs", "SDRs", "BDRs", "AEs", "members", "vendors", "projects", "requests",
    "shipments", "patients", "students", "analysts", "managers", "tools", "systems", "reports",
    "meetings", "renewals", "opportunities", "contracts", "hours", "escalations", "bugs", "incidents",
    "complaints", "refunds", "chargebacks", "errors", "mistakes", "applications", "candidates",
    "subscribers", "drivers", "trucks", "branches", "countries", "markets", "products", "coordinators",
    "shippers", "carriers", "positions", "apps", "plants", "presses", "hospitals", "clinics", "offices",
    "warehouses", "technicians", "nurses", "coders", "physicians", "machines", "lines", "shifts", "SKUs", "loads",
    "routes", "properties", "buildings", "providers", "partners", "resellers", "brands", "pipelines", "dashboards",
    "incidents", "outages", "denials", "policies", "households", "members", "placements", "appointments",
    "bookings", "payments", "cases", "visits", "jobs", "inspections", "awards", "grants", "fines",
)
COUNT = re.compile(rf"\b{_RANGE}\s(?:[a-z][\w-]*\s){{0,2}}{BUSINESS_NOUNS}\b", ICASE)

# --- dates and deadlines ----------------------------------------------------------------------------
MONTHS = words("January", "February", "March", "April", "June", "July", "August", "September",
               "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept?",
               "Oct", "Nov", "Dec")
FULL_MONTHS = words("January", "February", "March", "April", "June", "July", "August", "September",
                    "October", "November", "December")
WEEKDAYS = words("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PERIOD = r"(?:day|week|month|quarter|year|fiscal year|FY|sprint|Q[1-4]|H[12])"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE = re.compile(
    r"\b(?:"
    rf"(?:{MONTHS}|May)\.?\s{_DAY}\b(?:,?\s\d{{4}})?|{_DAY}\s(?:of\s)?(?:{MONTHS}|May)\b"
    rf"|(?:early|mid|late|end of|beginning of|start of|in|by|until|before|after|since|from)[\s-](?:{MONTHS}|May)\b"
    rf"(?:\s{_DAY}\b)?"
    rf"|(?:the\s)?(?:end|start|beginning|middle) of (?:the |this |next )?{_PERIOD}\b"
    rf"|(?:next|this|last|coming) (?:{WEEKDAYS}|{_PERIOD})\b"
    rf"|{WEEKDAYS}\b|(?-i:{FULL_MONTHS})\b"
    r"|Q[1-4](?:\s?(?:FY)?\d{2,4})?\b|FY\s?\d{2,4}\b|H[12]\b"
    r"|tomorrow|today|tonight|end of (?:the )?day|EOD|EOW|COB"
    rf"|(?:in|within) (?:a|an|one|two|three|four|five|six|\d+) {_UNIT}"
    r"|the week after(?: next)?|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r")", ICASE)

# --- people: titles, departments, names -------------------------------------------------------------
DEPARTMENTS = words(
    "sales", "marketing", "finance", "engineering", "IT", "security", "information security", "infosec",
    "procurement", "purchasing", "operations", "ops", "revenue operations", "RevOps", "sales operations",
    "sales ops", "customer success", "CS", "support", "customer support", "customer experience", "data",
    "analytics", "product", "legal", "HR", "people", "talent", "recruiting", "compliance", "risk",
    "accounting", "AP", "accounts payable", "treasury", "FP&A", "IT security", "platform",
    "infrastructure", "enablement", "sales enablement", "growth", "partnerships", "design", "research",
    "supply chain", "logistics", "facilities", "training", "business development", "strategy",
    "digital", "technology", "architecture", "DevOps", "QA", "privacy", "audit", "payroll",
)
_DEPT_PHRASE = rf"(?:{DEPARTMENTS}\b|(?-i:[A-Z][\w&]*(?:\s(?:&\s|and\s)?[A-Z][\w&]*){{0,2}}))"
_LEADER = words("VP", "SVP", "EVP", "AVP", "Vice President", "Senior Vice President", "Head", "Director",
                "Senior Director", "Managing Director", "General Manager", "Chief")
_SENIORITY = r"(?:(?:senior|sr\.?|junior|lead|staff|principal|associate|assistant|regional|global)\s)?"
_ROLE_NOUNS = words(
    "account executive", "solutions engineer", "sales engineer", "solutions consultant", "solution architect",
    "solutions architect", "customer success manager", "account manager", "sales rep", "sales representative",
    "sales director", "product manager", "project manager", "program manager", "engineering manager",
    "security engineer", "software engineer", "data engineer", "platform engineer", "systems administrator",
    "IT manager", "IT director", "security architect", "enterprise architect", "architect", "controller",
    "comptroller", "treasurer", "general counsel", "legal counsel", "counsel", "lawyer", "attorney",
    "paralegal", "procurement manager", "procurement lead", "procurement specialist",
    "ops manager", "operations manager", "sales manager", "marketing manager", "office manager",
    "team lead", "coordinator", "analyst", "data scientist", "engineer", "developer", "administrator", "admin",
    "founder", "co-founder", "cofounder", "president", "manager", "consultant", "RevOps lead",
    "managing partner", "senior partner", "partner", "superintendent", "principal", "owner", "chair",
    "chairman", "chairwoman", "executive director", "board chair", "dean", "provost", "vice provost",
    "commissioner", "mayor", "chief of staff",
    "RevOps manager", "(?-i:AE|SE|CSM|SDR|BDR)",
)
C_LEVEL = r"(?:C[EFOTIRMPDH]O|CISO|CIO|CRO|CDO|CCO|CPO|CHRO|CSO)"
TITLE = (rf"(?:(?-i:{C_LEVEL})\b|{_LEADER},?\s(?:of\s)?(?:the\s)?{_DEPT_PHRASE}"
         rf"|{DEPARTMENTS}\s(?:director|head|VP|lead)\b|(?-i:VP|SVP|EVP|Director)\b"
         rf"|{_SENIORITY}(?:{DEPARTMENTS}\s)?{_ROLE_NOUNS}s?\b)")
SELLER_TITLES = re.compile(r"\b(?:account executive|solutions? (?:engineer|consultant|architect)|sales "
                           r"(?:engineer|rep|representative)|(?-i:AE|SE|SDR|BDR)|account manager)\b", ICASE)
HIGH_TITLES = re.compile(rf"\b(?:{C_LEVEL}|{_LEADER}|founder|co-?founder|president|owner|partner|"
                         r"general counsel|controller)\b", ICASE)
MEDIUM_TITLES = re.compile(r"\b(?:manager|lead|architect|counsel|procurement|legal)\b", ICASE)

# Trigger words (see text.Rule) for rules that need a title or a department in the sentence.
TITLE_WORDS = """cfo ceo coo cto cio cro cmo cpo cdo cco cho chro cso ciso vp svp evp avp vice president head
director chief manager lead counsel engineer engineers executive executives architect analyst controller
comptroller treasurer lawyer attorney paralegal founder cofounder consultant admin administrator developer
scientist rep reps representative ae se csm sdr bdr officer coordinator specialist owner partner superintendent
principal chair chairman chairwoman dean provost commissioner mayor"""
# 'it', 'people' and other everyday words are left out: too common to be worth a trigger.
DEPARTMENT_WORDS = """sales marketing finance engineering security infosec procurement purchasing operations ops
revops customer cs support analytics legal hr talent recruiting compliance accounting ap payable treasury fp&a
infrastructure enablement partnerships logistics facilities devops qa privacy audit payroll"""

# Letters with accents too ('Lucía', 'Raúl', 'Zoë'); a hyphenated second part may be lower case ('Eun-ji').
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_NAME_TOKEN = rf"(?:Mc|Mac|O'|D')?[{_UPPER}][{_LOWER}]+(?:[-'][{_UPPER}{_LOWER}][{_LOWER}]+)?"
NAME = rf"(?:{_NAME_TOKEN}(?:\s{_NAME_TOKEN})?)"
NAME_TOKEN = _NAME_TOKEN
NOT_NAMES = frozenset("""
I I'm I'll I've I'd We We're We'll Our Us The This That These Those There Their They He She His Her It
It's Its You Your You're And But Or So Yes Yeah No Nope Okay Ok OK Hi Hey Hello Thanks Thank Great
Perfect Sure Well Just Also Any Every Each If Then What How Who Why When Where Which Honestly
Personally Totally Absolutely Sounds Let Let's Happy Understood Got Good Morning Afternoon Evening
Right Cool Awesome Fine Actually Basically Anyway Oh Ah Um Uh Hmm Maybe Definitely Exactly Of Course
Everyone Everybody Folks Team Guys All Both Once Before After Today Tomorrow Yesterday Tonight Next
Last First Second Third Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
March April June July August September October November December Q1 Q2 Q3 Q4 Speaker Unknown
Sorry Ha Haha Wow Nice Ouch Alright Look Listen Wait Please Agreed Correct True Fair Ours Mine Theirs Yep
Nah Totally Love Fantastic Brilliant Lovely Apologies Welcome Sir Madam Dear Anything Everything Nothing
Customer Sales Marketing Finance Engineering Security Legal Procurement Operations Support Product
Data Director Head Chief President Manager Lead Counsel Engineer VP Mr Mrs Ms Dr Sir Madam
Agreed Again Alright Fair Frankly Literally Really Very Pretty Quite Now Here Plus Given Since While
Because Although Though Otherwise However Meanwhile Still Yet Not Nothing Something Someone Anyone
""".split())
# A pronoun or verb with a contraction ('You've', 'They're', "Didn't") is never a name, in either apostrophe.
_CONTRACTED = [f"{word}{tail}" for word in ("I", "You", "We", "They", "He", "She", "It", "That", "There",
                                            "What", "Who", "Where", "Here", "Let")
               for tail in ("'s", "'re", "'ve", "'ll", "'d", "'m")] + [
    f"{verb}n't" for verb in ("Do", "Does", "Did", "Is", "Was", "Are", "Were", "Have", "Has", "Had", "Could",
                               "Would", "Should", "Ca", "Wo", "Must", "Might", "Need")]
NOT_NAMES = NOT_NAMES | {*_CONTRACTED, *(w.replace("'", "\u2019") for w in (*NOT_NAMES, *_CONTRACTED) if "'" in w)}
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I'll|I've|I'd|me|my|myself)\b")
FIRST_PERSON = _FIRST_PERSON
PRONOUN = re.compile(r"\b(?:he|she|him|her|they|them)\b", ICASE)
NEGATION = re.compile(r"\b(?:not|n't|never|no longer|isn't|don't|doesn't|won't|can't)\b", ICASE)
