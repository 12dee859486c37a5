"""What people read: terminal tables of results and backfills, and the scorecards shown in the terminal
and in Prefect's Markdown artifacts."""
