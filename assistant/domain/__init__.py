"""The pure core: value types and decisions, with no I/O and no clock (time is a parameter)."""
