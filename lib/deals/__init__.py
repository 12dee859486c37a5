"""Deal intelligence: MEDDPICC and stakeholders rolled up across a deal's calls, from stored results."""
