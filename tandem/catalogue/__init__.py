"""Operators, support schemes and eligibility, need routing."""
