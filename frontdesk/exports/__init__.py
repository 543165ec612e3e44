"""Exports of the logged work: tables (CSV, XLSX) and event logs (XES, CSV)."""
