CREATE TYPE "public"."grant_kind" AS ENUM('money', 'in_kind');--> statement-breakpoint
CREATE TYPE "public"."grant_round_status" AS ENUM('planned', 'open', 'closed', 'decided');--> statement-breakpoint
CREATE TYPE "public"."grant_status" AS ENUM('applied', 'approved', 'rejected', 'withdrawn', 'paid', 'accounted', 'closed');--> statement-breakpoint
CREATE TYPE "public"."grant_payment_kind" AS ENUM('payment', 'repayment');--> statement-breakpoint
CREATE TABLE "grant_allocations" (
	"grant_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	"amount_ore" bigint NOT NULL,
	CONSTRAINT "grant_allocations_grant_id_target_group_id_pk" PRIMARY KEY("grant_id","target_group_id"),
	CONSTRAINT "grant_allocations_amount_ck" CHECK ("grant_allocations"."amount_ore" > 0)
);
--> statement-breakpoint
CREATE TABLE "grant_payments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"grant_id" integer NOT NULL,
	"kind" "grant_payment_kind" DEFAULT 'payment' NOT NULL,
	"paid_on" date NOT NULL,
	"amount_ore" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grant_payments_amount_ck" CHECK ("grant_payments"."amount_ore" > 0)
);
--> statement-breakpoint
CREATE TABLE "grant_rounds" (
	"id" serial PRIMARY KEY NOT NULL,
	"municipality_code" smallint NOT NULL,
	"year" smallint NOT NULL,
	"name" text NOT NULL,
	"budget_ore" bigint NOT NULL,
	"applications_open_on" date,
	"applications_close_on" date,
	"decision_on" date,
	"report_due_on" date,
	"status" "grant_round_status" DEFAULT 'planned' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grant_rounds_budget_ck" CHECK ("grant_rounds"."budget_ore" >= 0)
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" serial PRIMARY KEY NOT NULL,
	"round_id" integer NOT NULL,
	"actor_id" integer NOT NULL,
	"title" text NOT NULL,
	"purpose" text,
	"kind" "grant_kind" DEFAULT 'money' NOT NULL,
	"in_kind_description" text,
	"requested_ore" bigint NOT NULL,
	"awarded_ore" bigint,
	"decision_on" date,
	"period_start" date,
	"period_end" date,
	"status" "grant_status" DEFAULT 'applied' NOT NULL,
	"report_due_on" date NOT NULL,
	"report_received_on" date,
	"auditor_endorsed" boolean DEFAULT false NOT NULL,
	"budget_override" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grants_amounts_ck" CHECK ("grants"."requested_ore" >= 0 and ("grants"."awarded_ore" is null or "grants"."awarded_ore" >= 0))
);
--> statement-breakpoint
ALTER TABLE "grant_allocations" ADD CONSTRAINT "grant_allocations_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_allocations" ADD CONSTRAINT "grant_allocations_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_payments" ADD CONSTRAINT "grant_payments_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_rounds" ADD CONSTRAINT "grant_rounds_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_round_id_grant_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."grant_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "grant_allocations_group_idx" ON "grant_allocations" USING btree ("target_group_id");--> statement-breakpoint
CREATE INDEX "grant_payments_grant_idx" ON "grant_payments" USING btree ("grant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "grant_rounds_name_uq" ON "grant_rounds" USING btree ("municipality_code","year","name");--> statement-breakpoint
CREATE INDEX "grants_round_idx" ON "grants" USING btree ("round_id","status");--> statement-breakpoint
CREATE INDEX "grants_actor_idx" ON "grants" USING btree ("actor_id");