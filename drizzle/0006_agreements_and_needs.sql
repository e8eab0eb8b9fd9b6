CREATE TYPE "public"."agreement_kind" AS ENUM('formal', 'informal');--> statement-breakpoint
CREATE TYPE "public"."agreement_status" AS ENUM('draft', 'active', 'ended');--> statement-breakpoint
CREATE TYPE "public"."outreach_kind" AS ENUM('casework', 'counselling', 'health_check', 'other');--> statement-breakpoint
CREATE TABLE "action_items" (
	"id" serial PRIMARY KEY NOT NULL,
	"meeting_id" integer NOT NULL,
	"agreement_id" integer NOT NULL,
	"text" text NOT NULL,
	"owner_user_id" integer,
	"owner_name" text,
	"due_on" date,
	"done_at" timestamp with time zone,
	"done_by_user_id" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agreement_actors" (
	"agreement_id" integer NOT NULL,
	"actor_id" integer NOT NULL,
	CONSTRAINT "agreement_actors_agreement_id_actor_id_pk" PRIMARY KEY("agreement_id","actor_id")
);
--> statement-breakpoint
CREATE TABLE "agreement_grants" (
	"agreement_id" integer NOT NULL,
	"grant_id" integer NOT NULL,
	CONSTRAINT "agreement_grants_agreement_id_grant_id_pk" PRIMARY KEY("agreement_id","grant_id")
);
--> statement-breakpoint
CREATE TABLE "agreement_responsibilities" (
	"id" serial PRIMARY KEY NOT NULL,
	"agreement_id" integer NOT NULL,
	"position" smallint NOT NULL,
	"party" text NOT NULL,
	"responsibility" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agreement_target_groups" (
	"agreement_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	CONSTRAINT "agreement_target_groups_agreement_id_target_group_id_pk" PRIMARY KEY("agreement_id","target_group_id")
);
--> statement-breakpoint
CREATE TABLE "agreements" (
	"id" serial PRIMARY KEY NOT NULL,
	"municipality_code" smallint NOT NULL,
	"title" text NOT NULL,
	"kind" "agreement_kind" NOT NULL,
	"purpose" text,
	"frame" text,
	"starts_on" date NOT NULL,
	"ends_on" date,
	"review_on" date,
	"meeting_interval_months" smallint,
	"coordinator_user_id" integer,
	"status" "agreement_status" DEFAULT 'draft' NOT NULL,
	"renewed_from_id" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agreements_period_ck" CHECK ("agreements"."ends_on" is null or "agreements"."ends_on" >= "agreements"."starts_on"),
	CONSTRAINT "agreements_interval_ck" CHECK ("agreements"."meeting_interval_months" is null or "agreements"."meeting_interval_months" between 1 and 36)
);
--> statement-breakpoint
CREATE TABLE "calendar_feeds" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_feeds_token_hash_uq" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "meetings" (
	"id" serial PRIMARY KEY NOT NULL,
	"agreement_id" integer NOT NULL,
	"planned_on" date NOT NULL,
	"held_on" date,
	"participants" text,
	"notes" text,
	"decisions" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outreach" (
	"id" serial PRIMARY KEY NOT NULL,
	"municipality_code" smallint NOT NULL,
	"actor_id" integer NOT NULL,
	"kind" "outreach_kind" NOT NULL,
	"unit" text NOT NULL,
	"weekdays" smallint[] DEFAULT '{}'::smallint[] NOT NULL,
	"dates" date[] DEFAULT '{}'::date[] NOT NULL,
	"starts_at" time NOT NULL,
	"ends_at" time NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date,
	"note" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_times_ck" CHECK ("outreach"."ends_at" > "outreach"."starts_at"),
	CONSTRAINT "outreach_period_ck" CHECK ("outreach"."period_end" is null or "outreach"."period_end" >= "outreach"."period_start")
);
--> statement-breakpoint
CREATE TABLE "need_estimates" (
	"municipality_code" smallint NOT NULL,
	"target_group_id" integer NOT NULL,
	"year" smallint NOT NULL,
	"people" integer NOT NULL,
	"source" text,
	"note" text,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "need_estimates_municipality_code_year_target_group_id_pk" PRIMARY KEY("municipality_code","year","target_group_id"),
	CONSTRAINT "need_estimates_people_ck" CHECK ("need_estimates"."people" >= 0)
);
--> statement-breakpoint
ALTER TABLE "action_items" ADD CONSTRAINT "action_items_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_items" ADD CONSTRAINT "action_items_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_items" ADD CONSTRAINT "action_items_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_items" ADD CONSTRAINT "action_items_done_by_user_id_users_id_fk" FOREIGN KEY ("done_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_actors" ADD CONSTRAINT "agreement_actors_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_actors" ADD CONSTRAINT "agreement_actors_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_grants" ADD CONSTRAINT "agreement_grants_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_grants" ADD CONSTRAINT "agreement_grants_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_responsibilities" ADD CONSTRAINT "agreement_responsibilities_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_target_groups" ADD CONSTRAINT "agreement_target_groups_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_target_groups" ADD CONSTRAINT "agreement_target_groups_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_coordinator_user_id_users_id_fk" FOREIGN KEY ("coordinator_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_renewed_from_id_agreements_id_fk" FOREIGN KEY ("renewed_from_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar_feeds" ADD CONSTRAINT "calendar_feeds_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach" ADD CONSTRAINT "outreach_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach" ADD CONSTRAINT "outreach_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "need_estimates" ADD CONSTRAINT "need_estimates_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "need_estimates" ADD CONSTRAINT "need_estimates_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "action_items_meeting_idx" ON "action_items" USING btree ("meeting_id");--> statement-breakpoint
CREATE INDEX "action_items_open_idx" ON "action_items" USING btree ("agreement_id","due_on") WHERE "action_items"."done_at" is null;--> statement-breakpoint
CREATE INDEX "action_items_owner_idx" ON "action_items" USING btree ("owner_user_id") WHERE "action_items"."done_at" is null;--> statement-breakpoint
CREATE INDEX "agreement_actors_actor_idx" ON "agreement_actors" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "agreement_grants_grant_idx" ON "agreement_grants" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "agreement_responsibilities_agreement_idx" ON "agreement_responsibilities" USING btree ("agreement_id","position");--> statement-breakpoint
CREATE INDEX "agreement_target_groups_group_idx" ON "agreement_target_groups" USING btree ("target_group_id");--> statement-breakpoint
CREATE INDEX "agreements_municipality_idx" ON "agreements" USING btree ("municipality_code","status");--> statement-breakpoint
CREATE INDEX "agreements_renewed_from_idx" ON "agreements" USING btree ("renewed_from_id");--> statement-breakpoint
CREATE INDEX "meetings_agreement_idx" ON "meetings" USING btree ("agreement_id","planned_on");--> statement-breakpoint
CREATE INDEX "outreach_municipality_idx" ON "outreach" USING btree ("municipality_code","period_start");--> statement-breakpoint
CREATE INDEX "outreach_actor_idx" ON "outreach" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "need_estimates_year_group_idx" ON "need_estimates" USING btree ("year","target_group_id");