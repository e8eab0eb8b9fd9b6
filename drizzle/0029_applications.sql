CREATE TYPE "public"."applicant_kind" AS ENUM('organisation', 'informal_group');--> statement-breakpoint
CREATE TYPE "public"."application_document_kind" AS ENUM('statutes', 'budget', 'annual_accounts', 'other');--> statement-breakpoint
CREATE TYPE "public"."application_status" AS ENUM('draft', 'submitted');--> statement-breakpoint
CREATE TABLE "applicants" (
	"id" serial PRIMARY KEY NOT NULL,
	"identity" text DEFAULT 'email_link' NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "application_document_chunks" (
	"document_id" integer NOT NULL,
	"n" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "application_document_chunks_document_id_n_pk" PRIMARY KEY("document_id","n")
);
--> statement-breakpoint
CREATE TABLE "application_documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"application_id" integer NOT NULL,
	"kind" "application_document_kind" NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "application_documents_size_ck" CHECK ("application_documents"."size_bytes" > 0)
);
--> statement-breakpoint
CREATE TABLE "application_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"application_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "application_target_groups" (
	"application_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	"expected_participants" integer,
	CONSTRAINT "application_target_groups_application_id_target_group_id_pk" PRIMARY KEY("application_id","target_group_id"),
	CONSTRAINT "application_target_groups_participants_ck" CHECK ("application_target_groups"."expected_participants" is null or "application_target_groups"."expected_participants" >= 0)
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" serial PRIMARY KEY NOT NULL,
	"round_id" integer NOT NULL,
	"applicant_id" integer NOT NULL,
	"status" "application_status" DEFAULT 'draft' NOT NULL,
	"applicant_kind" "applicant_kind" DEFAULT 'organisation' NOT NULL,
	"organisation_name" text,
	"cvr" text,
	"group_name" text,
	"responsible_name" text,
	"co_signer_name" text,
	"contact_name" text,
	"contact_email" text NOT NULL,
	"contact_phone" text,
	"project_title" text,
	"purpose" text,
	"municipality_codes" smallint[] DEFAULT '{}'::smallint[] NOT NULL,
	"period_from" date,
	"period_to" date,
	"budget_lines" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"own_financing_ore" bigint,
	"other_funding_ore" bigint,
	"applied_ore" bigint,
	"bank_reg_no" text,
	"bank_account_no" text,
	"consent_at" timestamp with time zone,
	"privacy_text_version" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"submitted_at" timestamp with time zone,
	CONSTRAINT "applications_cvr_ck" CHECK ("applications"."cvr" is null or "applications"."cvr" ~ '^[0-9]{8}$'),
	CONSTRAINT "applications_bank_ck" CHECK (("applications"."bank_reg_no" is null or "applications"."bank_reg_no" ~ '^[0-9]{4}$')
      and ("applications"."bank_account_no" is null or "applications"."bank_account_no" ~ '^[0-9]{1,10}$')),
	CONSTRAINT "applications_amounts_ck" CHECK (coalesce("applications"."applied_ore", 0) between 0 and 100000000000
      and coalesce("applications"."own_financing_ore", 0) between 0 and 100000000000
      and coalesce("applications"."other_funding_ore", 0) between 0 and 100000000000),
	CONSTRAINT "applications_period_ck" CHECK ("applications"."period_from" is null or "applications"."period_to" is null or "applications"."period_from" <= "applications"."period_to"),
	CONSTRAINT "applications_submitted_ck" CHECK ("applications"."status" = 'draft' or ("applications"."submitted_at" is not null and "applications"."consent_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "application_document_chunks" ADD CONSTRAINT "application_document_chunks_document_id_application_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."application_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_documents" ADD CONSTRAINT "application_documents_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_links" ADD CONSTRAINT "application_links_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_target_groups" ADD CONSTRAINT "application_target_groups_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_target_groups" ADD CONSTRAINT "application_target_groups_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_round_id_grant_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."grant_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_applicant_id_applicants_id_fk" FOREIGN KEY ("applicant_id") REFERENCES "public"."applicants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applicants_email_uq" ON "applicants" USING btree ("identity",lower("email"));--> statement-breakpoint
CREATE INDEX "application_documents_application_idx" ON "application_documents" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "application_links_application_idx" ON "application_links" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "applications_round_idx" ON "applications" USING btree ("round_id","status");--> statement-breakpoint
CREATE INDEX "applications_applicant_idx" ON "applications" USING btree ("applicant_id");