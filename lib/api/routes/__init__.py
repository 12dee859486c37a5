"""One router module per resource, collected in lib/api/app.py."""
