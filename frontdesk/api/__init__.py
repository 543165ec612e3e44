"""JSON API v1. Every request carries `Authorization: Bearer TOKEN`."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from frontdesk.api import auth, catalog, contacts, inbox, openapi, referrals, rosa, stats  # noqa: E402,F401  (routes register on bp)

__all__ = ["bp"]
