-- Trigram matching for similar names and fuzzy search (pg_trgm is a trusted extension from PostgreSQL 13).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- Folds a name for matching: lower case, Danish letters spelled out (æ→ae, ø→oe, å→aa),
-- common accents dropped, punctuation and runs of white space collapsed to one space.
CREATE OR REPLACE FUNCTION samspil_norm(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
AS $$
  SELECT btrim(regexp_replace(
    translate(
      replace(replace(replace(replace(replace(replace(lower(t), 'æ', 'ae'), 'ø', 'oe'), 'å', 'aa'), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'),
      'éèêëáàâíìîïóòôúùûçñ', 'eeeeaaaiiiiooouuucn'),
    '[^[:alnum:]]+', ' ', 'g'))
$$;
