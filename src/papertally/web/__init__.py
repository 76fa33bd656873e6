"""papertally.web."""
