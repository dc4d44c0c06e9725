"""`intent_stats` counts the turns the catalog-grounded check re-read (`grounded_turns`).

When the NLU's intent could not be used as is (`nlu_fallback`, `fuera_de_alcance`, an
empty-cart change…), `actions/interpret.py` reads the message against the conversation and
the catalog and hands the turn to the action that does the work (the turn's `actions` hold
`action_interpretar` and that action). Ops see per intent how often that
fired next to the fallback/error rate.

Revision ID: 0007_intent_stats_grounded
Revises: 0006_inbound_heartbeat
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_intent_stats_grounded"
down_revision: str | None = "0006_inbound_heartbeat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FALLBACK = {
    "sqlite": "(intent = 'nlu_fallback' OR actions LIKE '%\"action_default_fallback\"%')",
    "postgresql": (
        "(intent = 'nlu_fallback' OR CAST(actions AS TEXT) LIKE '%\"action_default_fallback\"%')"
    ),
}
# action_interpretar handed the turn to a real action (FollowupAction), or facts say so.
_HANDED = (
    "action_agregar_producto",
    "action_buscar_producto",
    "action_confirmar_pedido",
    "action_iniciar_checkout",
)


def _grounded(dialect: str) -> str:
    actions = "actions" if dialect == "sqlite" else "CAST(actions AS TEXT)"
    facts = "facts" if dialect == "sqlite" else "CAST(facts AS TEXT)"
    handed = " OR ".join(f"{actions} LIKE '%\"{a}\"%'" for a in _HANDED)
    return (
        f"(({actions} LIKE '%\"action_interpretar\"%' AND ({handed}))"
        f" OR {facts} LIKE '%\"grounded\"%')"
    )


_FAILED = "(NOT success OR error_type IS NOT NULL)"


def _intent_stats(dialect: str, grounded: bool) -> str:
    fallback = _FALLBACK[dialect]
    extra = (
        f",\n       SUM(CASE WHEN {_grounded(dialect)} THEN 1 ELSE 0 END) AS grounded_turns"
        if grounded
        else ""
    )
    return f"""
CREATE VIEW intent_stats AS
SELECT shop_id,
       COALESCE(intent, '(none)') AS intent,
       COUNT(*) AS turns,
       AVG(confidence) AS avg_confidence,
       SUM(CASE WHEN {fallback} OR {_FAILED} THEN 1 ELSE 0 END) AS fallback_or_error,
       AVG(CASE WHEN {fallback} OR {_FAILED} THEN 1.0 ELSE 0.0 END) AS fallback_or_error_rate{extra}
FROM conversation_logs
GROUP BY shop_id, COALESCE(intent, '(none)')"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS intent_stats")
    op.execute(_intent_stats(dialect, grounded=True))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS intent_stats")
    op.execute(_intent_stats(dialect, grounded=False))
