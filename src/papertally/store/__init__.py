"""papertally.store."""
