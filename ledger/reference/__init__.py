"""Reference data: the seed registry (offices, procedures) with its sources, and the working-day
calendar's override table."""
