"""The REST API: DRF views over the same selectors and services as the pages (see views.py)."""
