"""Mandates: the highest ROSA level an office handles per case type."""

from frontdesk.mandates.views import bp

__all__ = ["bp"]
