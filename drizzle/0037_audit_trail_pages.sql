DROP INDEX "audit_log_municipality_idx";--> statement-breakpoint
CREATE INDEX "audit_log_municipality_at_id_idx" ON "audit_log" USING btree ("municipality_code","at","id");--> statement-breakpoint
CREATE INDEX "audit_log_municipality_entity_action_idx" ON "audit_log" USING btree ("municipality_code","entity","action");