CREATE TYPE "public"."application_report_status" AS ENUM('submitted', 'accepted', 'more_requested');--> statement-breakpoint
CREATE TABLE "application_report_reach" (
	"report_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	"participants" integer NOT NULL,
	CONSTRAINT "application_report_reach_report_id_target_group_id_pk" PRIMARY KEY("report_id","target_group_id"),
	CONSTRAINT "application_report_reach_participants_ck" CHECK ("application_report_reach"."participants" >= 0)
);
--> statement-breakpoint
CREATE TABLE "application_reports" (
	"id" serial PRIMARY KEY NOT NULL,
	"application_id" integer NOT NULL,
	"grant_id" integer NOT NULL,
	"what_was_done" text NOT NULL,
	"status" "application_report_status" DEFAULT 'submitted' NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finance_note" text,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "application_reports_decided_ck" CHECK (("application_reports"."status" = 'submitted') = ("application_reports"."decided_at" is null) and ("application_reports"."decided_at" is null) = ("application_reports"."decided_by" is null))
);
--> statement-breakpoint
ALTER TABLE "application_documents" ADD COLUMN "report_id" integer;--> statement-breakpoint
ALTER TABLE "application_report_reach" ADD CONSTRAINT "application_report_reach_report_id_application_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."application_reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_report_reach" ADD CONSTRAINT "application_report_reach_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_reports" ADD CONSTRAINT "application_reports_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_reports" ADD CONSTRAINT "application_reports_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_reports" ADD CONSTRAINT "application_reports_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "application_report_reach_group_idx" ON "application_report_reach" USING btree ("target_group_id");--> statement-breakpoint
CREATE INDEX "application_reports_application_idx" ON "application_reports" USING btree ("application_id","id");--> statement-breakpoint
CREATE INDEX "application_reports_grant_idx" ON "application_reports" USING btree ("grant_id","status");--> statement-breakpoint
ALTER TABLE "application_documents" ADD CONSTRAINT "application_documents_report_id_application_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."application_reports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "application_documents_report_idx" ON "application_documents" USING btree ("report_id") WHERE "application_documents"."report_id" is not null;