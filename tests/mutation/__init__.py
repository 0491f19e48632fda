"""Mutation testing of the domain rules (see guards.py)."""
