"""Zoom and Gong webhooks: verified (`verify.py`), acknowledged at once (`routes.py`), the call stored and
analysed in the background (`work.py`)."""
