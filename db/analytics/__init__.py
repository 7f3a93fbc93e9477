"""Analytics computed from daily rollups (written by AnalyticsRollupWorkflow) plus the days not
rolled yet (today) computed live, with the same statements. Definitions: docs/analytics.md.

- `days.py`      the day boundaries in DAY_TIMEZONE
- `sessions.py`  the one narrow query on tutoring sessions (ready ones, by the day they took place)
- `learner_days.py`  one learner's day: the statement the rollup and the live read share
- `org_days.py`  one organisation's day per segment (everyone, a tutor's learners, a group)
- `rollup.py`    writing them: idempotent per (day, scope), delete-and-insert in one transaction
- `dirty.py`     late events mark the past day they belong to
"""
