"""The operations tool: tamper evidence, backups, replays and audits over the store port.

It lives in `shared/` rather than `services/`: it is not a service (no streams of its own to
decide on) and it reads every service's projections, which a module under `services/` may not
import (`tests/test_architecture.py`). The command line (`python -m shared.ops`) finds those
projections through `services.embedded`, the composition root, at run time only.
"""
