"""Importing and exporting a municipality's catalogue (organisations, offices, case types, mandates)."""

from frontdesk.catalog.operations import CatalogError, export_catalog, import_catalog

__all__ = ["CatalogError", "export_catalog", "import_catalog"]
