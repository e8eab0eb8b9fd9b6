-- The largest single amount, 1.000.000.000 kr. (MAX_OERE in src/lib/money.ts). NOT VALID: rows
-- written before are left alone (a deployment holding a larger typo still starts); every row
-- inserted or changed from now on is checked. Check old rows with ALTER TABLE ... VALIDATE CONSTRAINT.
ALTER TABLE "grant_allocations" ADD CONSTRAINT "grant_allocations_amount_max_ck" CHECK ("grant_allocations"."amount_ore" <= 100000000000) NOT VALID;--> statement-breakpoint
ALTER TABLE "grant_payments" ADD CONSTRAINT "grant_payments_amount_max_ck" CHECK ("grant_payments"."amount_ore" <= 100000000000) NOT VALID;--> statement-breakpoint
ALTER TABLE "grant_rounds" ADD CONSTRAINT "grant_rounds_budget_max_ck" CHECK ("grant_rounds"."budget_ore" <= 100000000000) NOT VALID;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_amounts_max_ck" CHECK ("grants"."requested_ore" <= 100000000000 and ("grants"."awarded_ore" is null or "grants"."awarded_ore" <= 100000000000)) NOT VALID;
