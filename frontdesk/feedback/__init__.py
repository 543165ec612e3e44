"""What citizens think: the three NKI questions after a contact, and the index they give."""
