-- Every write is audited in its own transaction, so a committed audit record is the sign that
-- something changed. Each app process listens on samspil_writes and drops what it has kept in
-- memory (sessions, reference data, reports). NOTIFY is delivered only when the transaction
-- commits, and identical notifications of one transaction are sent once. Records that change no
-- data (a refusal, a sign-in, a failed or limited one) notify nobody: anyone can cause those.
CREATE OR REPLACE FUNCTION samspil_notify_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM written w
    WHERE NOT (w.entity = 'access' OR (w.entity = 'login' AND w.action IN ('login', 'login_failed', 'rate_limited')))
  ) THEN
    PERFORM pg_notify('samspil_writes', '');
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_notify_write
  AFTER INSERT ON audit_log
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION samspil_notify_write();
