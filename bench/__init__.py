"""`make bench`: the event store's figures, each next to raw `sqlite3` doing the same work.

Run `python -m bench` (full: a 1,000,000-event rebuild) or `python -m bench --quick`.
"""
