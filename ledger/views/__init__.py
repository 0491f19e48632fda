"""The read models: the tables (declared once in tables.py, and touched only by this package), the
rule of each event that writes them, the projector that applies the log to them, every query on
them, and the inspector that judges deadlines, stalls, control slips and reports at query time."""
