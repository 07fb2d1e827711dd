"""Ingest: seed files read by their format, scraped pages cleaned, articles cut into chunks."""
