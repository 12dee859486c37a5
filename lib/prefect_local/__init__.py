"""The local Prefect server that flow commands start on first use (`server`: its process, port and
state files) and the choice of which Prefect API a command talks to (`target`). It runs Prefect as a
subprocess and never imports it."""
