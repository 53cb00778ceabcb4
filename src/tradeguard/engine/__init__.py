"""Duty evaluation: units, duty expressions, price triggers and layering."""
