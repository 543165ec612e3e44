"""Administration (role admin): staff accounts, their API tokens and a chef's offices.

views.py are the pages under /admin, api.py the users API (/api/v1/users); both call
the operations in operations.py, which hold every rule about an account.
"""
