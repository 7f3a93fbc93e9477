"""`studyflow costs --since 2026-11-01`: LLM spend by purpose, model and plan from the ledger, and
what the semantic cache saved (calls it avoided × the average cost of such a call)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg

_BY = {
    "purpose": "SELECT purpose, count(*), coalesce(sum(cost_usd), 0) FROM llm_calls "
    "WHERE created_at >= %s AND outcome <> 'cache_hit' GROUP BY 1 ORDER BY 3 DESC, 1",
    "model": "SELECT model, count(*), coalesce(sum(cost_usd), 0) FROM llm_calls "
    "WHERE created_at >= %s AND outcome <> 'cache_hit' GROUP BY 1 ORDER BY 3 DESC, 1",
    "plan": "SELECT coalesce(u.plan, 'unattributed'), count(*), coalesce(sum(c.cost_usd), 0) FROM llm_calls c "
    "LEFT JOIN users u ON u.id = c.user_id WHERE c.created_at >= %s AND c.outcome <> 'cache_hit' "
    "GROUP BY 1 ORDER BY 3 DESC, 1",
}
_SAVED = """
    SELECT hits.purpose, hits.n, coalesce(paid.average, 0)
    FROM (SELECT purpose, count(*) AS n FROM llm_calls WHERE created_at >= %s AND outcome = 'cache_hit' GROUP BY 1) hits
    LEFT JOIN (SELECT purpose, avg(cost_usd) AS average FROM llm_calls
               WHERE created_at >= %s AND outcome = 'ok' GROUP BY 1) paid
      ON paid.purpose = hits.purpose
    ORDER BY 1
"""


def cost_report(database_url: str, since: date) -> str:
    lines = [f"LLM spend since {since:%Y-%m-%d}"]
    with psycopg.connect(database_url) as conn:
        for heading, sql in _BY.items():
            rows = conn.execute(sql, (since,)).fetchall()
            lines += ["", f"by {heading}:", f"  {'':<24} {'calls':>8} {'USD':>12}"]
            lines += [f"  {name:<24} {calls:>8} {cost:>12.6f}" for name, calls, cost in rows]
        # Every grouping adds up to the same total; the last one's rows are at hand.
        lines += ["", f"total: {sum((cost for _, _, cost in rows), Decimal(0)):.6f} USD"]
        saved = conn.execute(_SAVED, (since, since)).fetchall()
        lines += ["", "saved by the cache (calls avoided × their average cost):"]
        saving = Decimal(0)
        for purpose, hits, average in saved:
            value = Decimal(hits) * Decimal(average)
            saving += value
            lines.append(f"  {purpose:<24} {hits:>8} avoided {value:>12.6f}")
        lines.append(f"  {'total':<24} {sum(h for _, h, _ in saved):>8} avoided {saving:>12.6f}")
    return "\n".join(lines) + "\n"
