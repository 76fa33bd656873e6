"""papertally.law."""
