-- A decided grant's allocation lines add up to exactly its award, and its net payments
-- (payments less repayments) stay between 0 and the award. Checked at commit, so a transaction
-- may change the award and its lines in any order.
CREATE OR REPLACE FUNCTION grant_check_integrity(p_grant_id integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  g record;
  allocated bigint;
  paid bigint;
BEGIN
  SELECT id, status, awarded_ore INTO g FROM grants WHERE id = p_grant_id;
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
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION grant_integrity_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'grants' THEN
    PERFORM grant_check_integrity(NEW.id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM grant_check_integrity(OLD.grant_id);
  ELSE
    PERFORM grant_check_integrity(NEW.grant_id);
    IF TG_OP = 'UPDATE' AND OLD.grant_id <> NEW.grant_id THEN
      PERFORM grant_check_integrity(OLD.grant_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER grants_integrity
  AFTER INSERT OR UPDATE ON grants
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION grant_integrity_trigger();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER grant_allocations_integrity
  AFTER INSERT OR UPDATE OR DELETE ON grant_allocations
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION grant_integrity_trigger();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER grant_payments_integrity
  AFTER INSERT OR UPDATE OR DELETE ON grant_payments
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION grant_integrity_trigger();
