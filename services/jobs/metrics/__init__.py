"""Prometheus metrics of the job service, computed from the database at scrape time."""
