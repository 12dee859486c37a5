"""The HTTP API (FastAPI over the lib/db repositories), its webhooks and its pages: a top room, like the CLI,
thin over the rooms below. No Prefect at module level: a run it starts imports the flows when it starts."""
