"""The inbox: e-mail, letters, the citizen web form and chat, waiting for a guide's triage."""
