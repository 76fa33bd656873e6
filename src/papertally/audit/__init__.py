"""papertally.audit."""
