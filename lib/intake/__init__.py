"""Getting transcripts in: files and folders parsed and stored once by content (`ingest`)."""
