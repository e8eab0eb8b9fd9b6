CREATE TABLE "import_chunks" (
	"import_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "import_chunks_import_id_seq_pk" PRIMARY KEY("import_id","seq")
);
--> statement-breakpoint
ALTER TABLE "import_chunks" ADD CONSTRAINT "import_chunks_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Files of imports not yet written move to the new table, each as one piece.
INSERT INTO "import_chunks" ("import_id", "seq", "data") SELECT "id", 0, "content" FROM "imports" WHERE "content" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" DROP COLUMN "content";