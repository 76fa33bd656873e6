"""papertally.report."""
