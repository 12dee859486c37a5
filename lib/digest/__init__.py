"""The Slack digest: one message after a nightly run listing the deals whose roll-up changed (elements
that moved, new warnings, the next question to ask), built from the deals table and sent with slack-sdk."""
