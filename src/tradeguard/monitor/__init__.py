"""Safeguard monitoring: cumulative imports against triggers, crossings, activations."""
