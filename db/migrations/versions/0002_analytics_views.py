"""analytics views

The four analytics views of the contract, written per dialect (SQLite and PostgreSQL), and on
PostgreSQL the function `get_user_conversation_stats(user_id text)`. docs/OPS.md documents
every column and shows the queries ops run.

Definitions shared by the views:
- day: the UTC calendar day of `conversation_logs.created_at`;
- fallback turn: `intent = 'nlu_fallback'` or the turn's `actions` list contains
  `action_default_fallback` (Rasa's core fallback);
- failed turn: `success` is false or `error_type` is set;
- guard rejection: `guard_verdict = 'rejected'`;
- p95 of `total_ms`: `percentile_cont(0.95)` on PostgreSQL; on SQLite the same linear
  interpolation between closest ranks computed with window functions (ROW_NUMBER, COUNT and
  LEAD per group), so both backends give the same number up to float rounding.

Note for later migrations: on SQLite, a batch operation that *recreates* `conversation_logs`
or `orders` must drop these views first and create them again afterwards (SQLite checks views
when a table is renamed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("conversation_stats", "intent_stats", "error_stats", "user_conversation_stats")

_FALLBACK = {
    "sqlite": "(intent = 'nlu_fallback' OR actions LIKE '%\"action_default_fallback\"%')",
    "postgresql": (
        "(intent = 'nlu_fallback' OR CAST(actions AS TEXT) LIKE '%\"action_default_fallback\"%')"
    ),
}
_DAY = {
    "sqlite": "date(created_at)",
    "postgresql": "CAST(timezone('UTC', created_at) AS date)",
}
_FAILED = "(NOT success OR error_type IS NOT NULL)"


def _conversation_stats(dialect: str) -> str:
    fallback, day = _FALLBACK[dialect], _DAY[dialect]
    base = f"""
        SELECT shop_id, {day} AS day, user_id, success, total_ms, guard_verdict,
               CASE WHEN {fallback} THEN 1 ELSE 0 END AS is_fallback
        FROM conversation_logs"""
    if dialect == "postgresql":
        p95 = "percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms)"
        return f"""
CREATE VIEW conversation_stats AS
WITH turns AS ({base})
SELECT shop_id, day,
       COUNT(*) AS turns,
       COUNT(DISTINCT user_id) AS unique_users,
       AVG(CASE WHEN success THEN 1.0 ELSE 0.0 END) AS success_rate,
       SUM(is_fallback) AS fallbacks,
       AVG(is_fallback * 1.0) AS fallback_rate,
       SUM(CASE WHEN guard_verdict = 'rejected' THEN 1 ELSE 0 END) AS guard_rejections,
       AVG(total_ms) AS avg_total_ms,
       {p95} AS p95_total_ms
FROM turns
GROUP BY shop_id, day"""
    # SQLite: percentile_cont by hand. Position p = 0.95 * (n - 1) over the non-null values
    # sorted ascending; the answer is v[floor(p)] + frac(p) * (v[floor(p) + 1] - v[floor(p)]).
    return f"""
CREATE VIEW conversation_stats AS
WITH turns AS ({base}),
ranked AS (
    SELECT shop_id, day, total_ms,
           ROW_NUMBER() OVER w AS rn,
           COUNT(*) OVER (PARTITION BY shop_id, day) AS n,
           LEAD(total_ms) OVER w AS next_ms
    FROM turns
    WHERE total_ms IS NOT NULL
    WINDOW w AS (PARTITION BY shop_id, day ORDER BY total_ms)
),
p95 AS (
    SELECT shop_id, day,
           total_ms + (0.95 * (n - 1) - CAST(0.95 * (n - 1) AS INTEGER))
                      * (COALESCE(next_ms, total_ms) - total_ms) AS p95_total_ms
    FROM ranked
    WHERE rn = CAST(0.95 * (n - 1) AS INTEGER) + 1
)
SELECT t.shop_id AS shop_id, t.day AS day,
       COUNT(*) AS turns,
       COUNT(DISTINCT t.user_id) AS unique_users,
       AVG(CASE WHEN t.success THEN 1.0 ELSE 0.0 END) AS success_rate,
       SUM(t.is_fallback) AS fallbacks,
       AVG(t.is_fallback * 1.0) AS fallback_rate,
       SUM(CASE WHEN t.guard_verdict = 'rejected' THEN 1 ELSE 0 END) AS guard_rejections,
       AVG(t.total_ms) AS avg_total_ms,
       MAX(p.p95_total_ms) AS p95_total_ms
FROM turns t
LEFT JOIN p95 p ON p.shop_id IS t.shop_id AND p.day = t.day
GROUP BY t.shop_id, t.day"""


def _intent_stats(dialect: str) -> str:
    fallback = _FALLBACK[dialect]
    return f"""
CREATE VIEW intent_stats AS
SELECT shop_id,
       COALESCE(intent, '(none)') AS intent,
       COUNT(*) AS turns,
       AVG(confidence) AS avg_confidence,
       SUM(CASE WHEN {fallback} OR {_FAILED} THEN 1 ELSE 0 END) AS fallback_or_error,
       AVG(CASE WHEN {fallback} OR {_FAILED} THEN 1.0 ELSE 0.0 END) AS fallback_or_error_rate
FROM conversation_logs
GROUP BY shop_id, COALESCE(intent, '(none)')"""


ERROR_STATS = """
CREATE VIEW error_stats AS
WITH errors AS (
    SELECT shop_id, error_type, created_at, turn_id,
           ROW_NUMBER() OVER (PARTITION BY shop_id, error_type
                              ORDER BY created_at DESC, id DESC) AS newest
    FROM conversation_logs
    WHERE error_type IS NOT NULL
)
SELECT shop_id, error_type,
       COUNT(*) AS count,
       MIN(created_at) AS first_seen,
       MAX(created_at) AS last_seen,
       MAX(CASE WHEN newest = 1 THEN turn_id END) AS example_turn_id
FROM errors
GROUP BY shop_id, error_type"""

# Orders count only when closed (`cerrada`); spend is the sum of their totals.
USER_CONVERSATION_STATS = """
CREATE VIEW user_conversation_stats AS
WITH turns AS (
    SELECT shop_id, user_id, COUNT(*) AS turns,
           MIN(created_at) AS first_seen, MAX(created_at) AS last_seen
    FROM conversation_logs
    GROUP BY shop_id, user_id
),
closed AS (
    SELECT shop_id, user_id, COUNT(*) AS orders, SUM(total) AS spend
    FROM orders
    WHERE state = 'cerrada'
    GROUP BY shop_id, user_id
)
SELECT t.shop_id AS shop_id, t.user_id AS user_id, t.turns AS turns,
       t.first_seen AS first_seen, t.last_seen AS last_seen,
       COALESCE(c.orders, 0) AS orders, COALESCE(c.spend, 0) AS spend
FROM turns t
LEFT JOIN closed c ON c.shop_id = t.shop_id AND c.user_id = t.user_id"""

PG_FUNCTION = """
CREATE FUNCTION get_user_conversation_stats(user_id text)
RETURNS TABLE (shop_id integer, turns bigint, first_seen timestamptz, last_seen timestamptz,
               orders bigint, spend bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.shop_id, CAST(s.turns AS bigint), s.first_seen, s.last_seen,
           CAST(s.orders AS bigint), CAST(s.spend AS bigint)
    FROM user_conversation_stats s
    WHERE s.user_id = $1
    ORDER BY s.shop_id
$$"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in _DAY:
        raise NotImplementedError(
            f"analytics views are written for sqlite and postgresql, not {dialect}"
        )
    op.execute(_conversation_stats(dialect))
    op.execute(_intent_stats(dialect))
    op.execute(ERROR_STATS)
    op.execute(USER_CONVERSATION_STATS)
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS get_user_conversation_stats(text)")
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {view}")
