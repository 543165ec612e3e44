"""Outgoing e-mail: the outbox written with the action that causes a mail, and its delivery."""
