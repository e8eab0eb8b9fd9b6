-- Merges used to write the surviving actor whole into the audit trail, contact persons (names,
-- e-mails, phones) included, where erasure cannot reach them and an actor's history shows them to
-- everyone. This is the one sanctioned exception to the append-only trail: every `contacts` array
-- in a merge's record becomes `contactIds`, the contacts by id only, as the rest of the trail keeps
-- them. drizzle runs a migration inside one transaction, so the trigger is off only within it, and
-- for no other session. The scrub is itself recorded in the trail (entity 'audit_log', action
-- 'scrub'), with the ids of the records it changed.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
--> statement-breakpoint
WITH scrubbed AS (
  UPDATE audit_log SET
    before = CASE WHEN jsonb_typeof(before -> 'contacts') = 'array'
      THEN (before - 'contacts') || jsonb_build_object('contactIds',
        (SELECT coalesce(jsonb_agg(c -> 'id'), '[]'::jsonb) FROM jsonb_array_elements(before -> 'contacts') c))
      ELSE before END,
    after = CASE WHEN jsonb_typeof(after -> 'contacts') = 'array'
      THEN (after - 'contacts') || jsonb_build_object('contactIds',
        (SELECT coalesce(jsonb_agg(c -> 'id'), '[]'::jsonb) FROM jsonb_array_elements(after -> 'contacts') c))
      ELSE after END
  WHERE entity = 'actor' AND action IN ('merge', 'merged_into')
    AND (jsonb_typeof(before -> 'contacts') = 'array' OR jsonb_typeof(after -> 'contacts') = 'array')
  RETURNING id
)
INSERT INTO audit_log (entity, entity_id, action, after)
SELECT 'audit_log', '0012_scrub_merge_contacts', 'scrub',
  jsonb_build_object('reason', 'contact personal data removed from merge records',
    'auditIds', coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb))
FROM scrubbed;
--> statement-breakpoint
-- Failed and refused sign-ins used to name the e-mail as typed, also when it was no one's (a typo,
-- or someone else's address tried). They now name the account by id, or 'unknown'; older records
-- that name an e-mail are brought to the same form, and the change is recorded likewise.
WITH scrubbed AS (
  UPDATE audit_log SET entity_id = 'unknown'
  WHERE entity = 'login' AND action IN ('login_failed', 'rate_limited') AND entity_id !~ '^[0-9]+$'
  RETURNING id
)
INSERT INTO audit_log (entity, entity_id, action, after)
SELECT 'audit_log', '0012_scrub_login_emails', 'scrub',
  jsonb_build_object('reason', 'e-mail addresses typed at failed sign-ins removed',
    'auditIds', coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb))
FROM scrubbed;
--> statement-breakpoint
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
