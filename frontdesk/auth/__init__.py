"""Logging in and out, and the decorators that guard the pages."""

from frontdesk.auth.access import login_required, roles_required
from frontdesk.auth.views import bp

__all__ = ["bp", "login_required", "roles_required"]
