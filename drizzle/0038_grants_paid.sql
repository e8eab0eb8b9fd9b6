ALTER TABLE "grants" ADD COLUMN "paid_ore" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- No payment is written between the backfill and the triggers by another process (the migration
-- runs in one transaction, and this lock is held to its end).
LOCK TABLE grant_payments IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
-- A grant's payments less its repayments, kept on the grant so that the list's paid column and its
-- totals read the grants alone (issue 17): a page of a municipality's approved grants looked up the
-- payments of each of the 146 grants matching, 438 of the statement's 1,121 buffers.
UPDATE "grants" g SET "paid_ore" = p.net
FROM (
  SELECT grant_id, sum(CASE WHEN kind = 'payment' THEN amount_ore ELSE -amount_ore END) AS net
  FROM grant_payments GROUP BY grant_id
) p
WHERE p.grant_id = g.id;
--> statement-breakpoint
-- Kept by the statements that write payments, once per statement and grant, whoever writes them.
CREATE OR REPLACE FUNCTION grant_payments_paid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE grants g SET paid_ore = g.paid_ore + d.delta
    FROM (SELECT grant_id, sum(CASE WHEN kind = 'payment' THEN amount_ore ELSE -amount_ore END) AS delta
          FROM paid_added GROUP BY grant_id) d
    WHERE g.id = d.grant_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE grants g SET paid_ore = g.paid_ore - d.delta
    FROM (SELECT grant_id, sum(CASE WHEN kind = 'payment' THEN amount_ore ELSE -amount_ore END) AS delta
          FROM paid_removed GROUP BY grant_id) d
    WHERE g.id = d.grant_id;
  ELSE
    UPDATE grants g SET paid_ore = g.paid_ore + d.delta
    FROM (SELECT grant_id, sum(delta) AS delta FROM (
            SELECT grant_id, CASE WHEN kind = 'payment' THEN amount_ore ELSE -amount_ore END AS delta FROM paid_added
            UNION ALL
            SELECT grant_id, CASE WHEN kind = 'payment' THEN -amount_ore ELSE amount_ore END FROM paid_removed
          ) lines GROUP BY grant_id) d
    WHERE g.id = d.grant_id AND d.delta <> 0;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER grant_payments_paid_insert AFTER INSERT ON grant_payments
  REFERENCING NEW TABLE AS paid_added FOR EACH STATEMENT EXECUTE FUNCTION grant_payments_paid();
--> statement-breakpoint
CREATE TRIGGER grant_payments_paid_update AFTER UPDATE ON grant_payments
  REFERENCING OLD TABLE AS paid_removed NEW TABLE AS paid_added FOR EACH STATEMENT EXECUTE FUNCTION grant_payments_paid();
--> statement-breakpoint
CREATE TRIGGER grant_payments_paid_delete AFTER DELETE ON grant_payments
  REFERENCING OLD TABLE AS paid_removed FOR EACH STATEMENT EXECUTE FUNCTION grant_payments_paid();
--> statement-breakpoint
-- As 0005, and the sum kept on the grant must be its payments' at commit. The constraint triggers
-- that run this must stay deferred (no SET CONSTRAINTS ... IMMEDIATE): a row trigger runs before
-- the statement triggers above have moved the sum.
CREATE OR REPLACE FUNCTION grant_check_integrity(p_grant_id integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  g record;
  allocated bigint;
  paid bigint;
BEGIN
  SELECT id, status, awarded_ore, paid_ore INTO g FROM grants WHERE id = p_grant_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT coalesce(sum(amount_ore), 0) INTO allocated FROM grant_allocations WHERE grant_id = p_grant_id;
  IF g.status IN ('approved', 'paid', 'accounted', 'closed') AND allocated <> coalesce(g.awarded_ore, -1) THEN
    RAISE EXCEPTION 'grant %: allocations (% øre) must add up to the amount awarded (% øre)', g.id, allocated, g.awarded_ore
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT coalesce(sum(CASE WHEN kind = 'payment' THEN amount_ore ELSE -amount_ore END), 0) INTO paid
    FROM grant_payments WHERE grant_id = p_grant_id;
  IF paid < 0 OR paid > coalesce(g.awarded_ore, 0) THEN
    RAISE EXCEPTION 'grant %: net payments (% øre) must stay between 0 and the amount awarded (% øre)', g.id, paid, g.awarded_ore
      USING ERRCODE = 'check_violation';
  END IF;
  IF g.paid_ore <> paid THEN
    RAISE EXCEPTION 'grant %: the sum paid kept on the grant (% øre) is not its net payments (% øre)', g.id, g.paid_ore, paid
      USING ERRCODE = 'check_violation';
  END IF;
END
$$;
