"""Staffing from the office's own history: the arrivals to expect and the staff they need (Erlang C)."""
