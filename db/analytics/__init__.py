"""Analytics computed from daily rollups (written by AnalyticsRollupWorkflow) plus the days not
rolled yet (today) computed live, with the same statements. Definitions: docs/analytics.md.

- `days.py`      the day boundaries in DAY_TIMEZONE
- `sessions.py`  the one narrow query on tutoring sessions (none until that table exists)
- `learner_days.py`  one learner's day: the statement the rollup and the live read share
- `org_days.py`  one organisation's day per segment (everyone, a tutor's learners, a group)
- `rollup.py`    writing them: idempotent per (day, scope), delete-and-insert in one transaction
- `dirty.py`     late events mark the past day they belong to
- `raw.py`       the same figures straight from the event tables (tests, the bench's baseline)
"""
