"""`asmis doctor`: what in a setup works and what does not, one line per check.

- `check.py`: the record (`Check`: name, status ok | warn | fail, detail, fix) and what every check gets
  (`DoctorContext`: settings, environment, timeout, --send-test).
- `runner.py`: runs the check groups concurrently, each under a short timeout (a service that hangs is a
  `fail`, never a hung command), and scrubs every secret it knows of from what they say.
- one module per group of checks: `database.py` (server, migrations, active prompts), `llm.py` (the
  provider, through `BaseAgent.health_check`), `prefect_api.py` (the Prefect API and who serves the
  deployments, over REST: no Prefect import), `sources.py` (each source in ASMIS_SOURCES), `crm.py`
  (ASMIS_CRM's token and fields), `slack.py` (the digest's webhook or token), `storage.py` (cache
  directory, disk space).
- `redact.py`: which values are secrets, and scrubbing them (and any 8 characters of one) from a line.
- `registry.py`: the groups `asmis doctor` runs, in the order it prints them. A new check is one module
  with `async def check_x(ctx) -> list[Check]` and one line there.
"""
