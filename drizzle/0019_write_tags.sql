-- The write notification says what was written: the distinct "municipality:entity" pairs of the
-- statement's audit records, comma-separated (an empty municipality for a record of none). Each
-- process drops only the kept pages and reads that a write in those municipalities, or of that
-- kind of shared data (actors, target groups, municipalities), touches (src/lib/write-tags.ts).
-- As before, records that change no data notify nobody.
CREATE OR REPLACE FUNCTION samspil_notify_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched text;
BEGIN
  SELECT string_agg(DISTINCT coalesce(w.municipality_code::text, '') || ':' || w.entity, ',')
  INTO touched
  FROM written w
  WHERE NOT (w.entity = 'access' OR (w.entity = 'login' AND w.action IN ('login', 'login_failed', 'rate_limited')));
  IF touched IS NOT NULL THEN
    -- A notification carries at most 8000 bytes: more than that says "everything".
    PERFORM pg_notify('samspil_writes', CASE WHEN length(touched) > 7900 THEN '' ELSE touched END);
  END IF;
  RETURN NULL;
END;
$$;
