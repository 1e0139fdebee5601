"""Who may see and do what in the year plan: the year-plan side of the one access layer."""
