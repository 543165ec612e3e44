"""Contact history from a previous system, loaded in bulk as statistics of closed matters."""

from frontdesk.history.importer import ImportResult, import_contacts

__all__ = ["ImportResult", "import_contacts"]
