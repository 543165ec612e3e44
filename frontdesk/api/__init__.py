"""JSON API v1. Every request carries `Authorization: Bearer TOKEN`."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from frontdesk.api import auth, catalog, inbox, openapi, referrals, rosa, stats  # noqa: E402,F401  (routes register on bp)
from frontdesk.counter import api as counter_api  # noqa: E402,F401

__all__ = ["bp"]
