CREATE TYPE "public"."import_kind" AS ENUM('grants', 'actors');--> statement-breakpoint
CREATE TYPE "public"."import_status" AS ENUM('uploaded', 'invalid', 'ready', 'queued', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "imports" (
	"id" serial PRIMARY KEY NOT NULL,
	"municipality_code" smallint NOT NULL,
	"kind" "import_kind" NOT NULL,
	"status" "import_status" DEFAULT 'uploaded' NOT NULL,
	"file_name" text NOT NULL,
	"content" "bytea",
	"header" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mapping" jsonb,
	"actor_choices" jsonb,
	"row_count" integer DEFAULT 0 NOT NULL,
	"created_count" integer DEFAULT 0 NOT NULL,
	"updated_count" integer DEFAULT 0 NOT NULL,
	"skipped_count" integer DEFAULT 0 NOT NULL,
	"summary" jsonb,
	"problems" jsonb,
	"created_by" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "external_ref" text;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "imports_municipality_idx" ON "imports" USING btree ("municipality_code","created_at");--> statement-breakpoint
CREATE INDEX "imports_status_idx" ON "imports" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_external_ref_uq" ON "grants" USING btree ("round_id","external_ref") WHERE "grants"."external_ref" is not null;