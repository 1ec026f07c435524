"""Colour science for the colour domain (seed 000): the RAL palette, sRGB <-> CIELAB,
Delta E, and the colour transfer with its quality report. Used by the gateway (palette,
matching) and the colour worker (transfer)."""
