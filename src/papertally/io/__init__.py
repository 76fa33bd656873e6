"""papertally.io."""
