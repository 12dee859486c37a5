"""CRM write-back: roll-ups written to Salesforce Opportunities and HubSpot deals without ever
overwriting a value a person typed. Holds the field mapping, the values a roll-up gives, the ledger of
what ASMIS wrote (PostgreSQL), the push decision, and one client per CRM."""
