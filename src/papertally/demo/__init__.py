"""papertally.demo."""
