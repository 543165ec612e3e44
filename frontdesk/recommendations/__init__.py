"""The manager's ROSA module: the staircase, recommendations to move case types, what-if."""
