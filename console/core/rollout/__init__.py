"""Staged rollouts: a route moves from one model (A) to another (B) in steps, watched by guardrails.

    split.py       which arm a request takes (a hash of its sticky key) and the plan where B replaces A
    shares.py      the share of each rollout now, as the Engine reads it per request (refreshed from the log)
    state.py       where each rollout stands, in the log; compare-and-set changes and their events
    arms.py        what each arm did over a period, read from the log
    statistics.py  the intervals the guardrails use
    guardrails.py  the comparison of the arms, and whether a guardrail is breached
    monitor.py     the periodic check in the serving process: breach → rollback or hold; auto-advance
    service.py     one process's rollouts: state, monitor and the use cases the app API exposes
"""
