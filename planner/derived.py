"""Full rebuilds of the rows and columns the day board and the lot page read instead of
aggregating the whole database on every request:

- ShareLink.last_opened_at / times_opened, from the links' "opened" events;
- Plan.link_expires_at, from the plan's open links to its current version;
- DepositBalance, from the accepted signed records, the deposits (not voided) and the plans'
  status;
- LotReach and LotUse, from the session records.

The app's actions keep each one right as they write (planner.signing.actions,
planner.delivery.actions, planner.actions); these rebuild them all at once in SQL, for the
migration that introduced them and for seed_demo's bulk inserts, which bypass the actions.
Plain SQL that SQLite and PostgreSQL both run, on the tables as the migration left them."""

OPENED = "opened"
TAKES_DEPOSITS = "('accepted', 'in_progress')"

LINK_OPENS = f"""
UPDATE planner_sharelink SET
  last_opened_at = (
    SELECT MAX(e.at) FROM planner_signingevent e
    WHERE e.link_id = planner_sharelink.id AND e.kind = '{OPENED}'),
  times_opened = (
    SELECT COUNT(*) FROM planner_signingevent e
    WHERE e.link_id = planner_sharelink.id AND e.kind = '{OPENED}')
"""

PLAN_LINK_EXPIRY = """
UPDATE planner_plan SET link_expires_at = (
  SELECT MAX(l.expires_at) FROM planner_sharelink l
  WHERE l.plan_id = planner_plan.id AND l.plan_version = planner_plan.version
    AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.locked_at IS NULL)
"""

# Voided deposits count toward nothing received (Deposit.voided_at, since migration 0018).
DEPOSITS_COUNTED = "WHERE voided_at IS NULL"

# The newest acceptance of a plan wins (a plan is accepted once; the rule is the board's).
DEPOSIT_BALANCES_SQL = f"""
INSERT INTO planner_depositbalance (plan_id, asked, received, currency, owed_since)
SELECT r.plan_id, r.deposit_due, COALESCE(d.total, 0), r.currency,
  CASE WHEN p.status IN {TAKES_DEPOSITS} AND COALESCE(d.total, 0) < r.deposit_due
       THEN r.signed_at END
FROM planner_signedrecord r
JOIN planner_plan p ON p.id = r.plan_id
LEFT JOIN (
  SELECT plan_id, SUM(amount) AS total FROM planner_deposit
  {{counted}} GROUP BY plan_id
) d ON d.plan_id = r.plan_id
WHERE r.decision = 'accepted' AND r.deposit_due > 0
  AND NOT EXISTS (
    SELECT 1 FROM planner_signedrecord later
    WHERE later.plan_id = r.plan_id AND later.decision = 'accepted'
      AND (later.signed_at > r.signed_at
           OR (later.signed_at = r.signed_at AND later.id > r.id)))
"""


def deposit_balances(*, voidable: bool = True) -> list[str]:
    """The statements rebuilding DepositBalance; `voidable` False for the tables as they
    stood before deposits could be voided (migration 0017's backfill)."""
    counted = DEPOSITS_COUNTED if voidable else ""
    return ["DELETE FROM planner_depositbalance", DEPOSIT_BALANCES_SQL.format(counted=counted)]


LOT_REACH = [
    "DELETE FROM planner_lotuse",
    "DELETE FROM planner_lotreach",
    """
INSERT INTO planner_lotreach (lot_id, patient_id, patient_name, performed, planned)
SELECT u.lot_id, u.patient_id, pa.full_name, SUM(u.performed), SUM(u.planned)
FROM (
  SELECT s.lot_used_id AS lot_id, p.patient_id AS patient_id, 1 AS performed, 0 AS planned
  FROM planner_treatmentsession s JOIN planner_plan p ON p.id = s.plan_id
  WHERE s.status = 'performed' AND s.lot_used_id IS NOT NULL
  UNION ALL
  SELECT s.planned_lot_id, p.patient_id, 0, 1
  FROM planner_treatmentsession s JOIN planner_plan p ON p.id = s.plan_id
  WHERE s.status = 'planned' AND s.planned_lot_id IS NOT NULL
) u
JOIN planner_patient pa ON pa.id = u.patient_id
GROUP BY u.lot_id, u.patient_id, pa.full_name
""",
    """
INSERT INTO planner_lotuse (lot_id, patients, performed, planned)
SELECT lot_id, COUNT(*), SUM(performed), SUM(planned) FROM planner_lotreach GROUP BY lot_id
""",
]


def rebuild_all(connection, *, deposits_voidable: bool = True) -> None:
    """Recompute every derived row and column from the records (any existing ones are
    replaced). Run inside a transaction. `deposits_voidable`: see deposit_balances."""
    balances = deposit_balances(voidable=deposits_voidable)
    with connection.cursor() as cursor:
        for statement in [LINK_OPENS, PLAN_LINK_EXPIRY, *balances, *LOT_REACH]:
            cursor.execute(statement)
