-- Every write is audited in its own transaction, so a committed audit record is the sign that
-- something changed. Each app process listens on samspil_writes and drops what it has cached
-- (sessions, reference data, reports). NOTIFY is delivered only when the transaction commits, and
-- identical notifications of one transaction are sent once.
CREATE OR REPLACE FUNCTION samspil_notify_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('samspil_writes', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_notify_write
  AFTER INSERT ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION samspil_notify_write();
