"""The counter: where a samhällsvägledare logs every contact."""

from frontdesk.counter.views import bp

__all__ = ["bp"]
