"""The payroll domain: the salary aggregate, pure (no I/O, no clock)."""
