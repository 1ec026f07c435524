"""Colour science both the gateway (palette, matching, Delta E) and the colour worker
(transfer targets, quality report) need: the RAL palette, sRGB <-> CIELAB, Delta E."""
