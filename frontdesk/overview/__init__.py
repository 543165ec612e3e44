"""The manager's overview: volumes, hours, first-contact resolution, referrals, breadth."""
