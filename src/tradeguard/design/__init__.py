"""The safeguard design lab: designs as data, back-tests, simulations and comparisons."""
