ALTER TYPE "public"."application_document_kind" ADD VALUE 'report_accounts';--> statement-breakpoint
ALTER TYPE "public"."application_document_kind" ADD VALUE 'auditor_endorsement';--> statement-breakpoint
ALTER TYPE "public"."application_status" ADD VALUE 'under_review';--> statement-breakpoint
ALTER TYPE "public"."application_status" ADD VALUE 'approved';--> statement-breakpoint
ALTER TYPE "public"."application_status" ADD VALUE 'rejected';--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "actor_id" integer;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "grant_id" integer;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "decided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "decided_by" integer;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "decision_meeting" text;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "decision_reasons" text;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "locale" text DEFAULT 'da' NOT NULL;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_grant_uq" ON "applications" USING btree ("grant_id");--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_decided_ck" CHECK (("applications"."decided_at" is null) = ("applications"."decided_by" is null)
      and ("applications"."grant_id" is null or "applications"."decided_at" is not null));