"""Presentation: SVG charts now; the server-rendered dashboard later."""
