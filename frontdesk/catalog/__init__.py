"""A municipality's catalogue: organisations, offices, case types, mandates (import, export)."""

from frontdesk.catalog.operations import CatalogError, export_catalog, import_catalog

__all__ = ["CatalogError", "export_catalog", "import_catalog"]
