"""Staff roles and the groups of roles that share a kind of work, declared once.

A top-level module rather than part of `frontdesk.models`: it imports nothing, so the
User model (its CHECK constraint), the access decorators, the views, the templates and
the CLI can all read it without pulling in the ORM or each other.
"""

from enum import StrEnum


class Role(StrEnum):
    """What a staff member does; the value is what `users.role` holds."""

    VAGLEDARE = "vagledare"  # samhällsvägledare: the front desk (counter, inbox, call-backs)
    HANDLAGGARE = "handlaggare"  # handläggare: a back office's referrals
    CHEF = "chef"  # manager: figures, process maps, proposals, mandates
    ADMIN = "admin"  # system administrator: everything a manager does, and the catalogue

    @property
    def label(self) -> str:
        return {
            "vagledare": "Samhällsvägledare",
            "handlaggare": "Handläggare",
            "chef": "Chef",
            "admin": "Administratör",
        }[self.value]


# Who may do the front desk's work: log contacts, triage the inbox, close call-backs.
DESK_ROLES = (Role.VAGLEDARE, Role.CHEF, Role.ADMIN)
# Who works referrals in a back office's queues.
HANDLER_ROLES = (Role.HANDLAGGARE,)
# Who reads the figures and decides on mandates, process maps and proposals.
MANAGER_ROLES = (Role.CHEF, Role.ADMIN)
