CREATE TYPE "public"."actor_role" AS ENUM('advocate', 'inclusion_arena', 'service_provider');--> statement-breakpoint
CREATE TYPE "public"."actor_status" AS ENUM('active', 'inactive', 'archived');--> statement-breakpoint
CREATE TYPE "public"."org_type" AS ENUM('association', 'self_governing_institution', 'foundation', 'social_enterprise', 'informal_group');--> statement-breakpoint
CREATE TABLE "actor_contacts" (
	"id" serial PRIMARY KEY NOT NULL,
	"actor_id" integer NOT NULL,
	"name" text NOT NULL,
	"role" text,
	"email" text,
	"phone" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "actor_municipalities" (
	"actor_id" integer NOT NULL,
	"municipality_code" smallint NOT NULL,
	CONSTRAINT "actor_municipalities_actor_id_municipality_code_pk" PRIMARY KEY("actor_id","municipality_code")
);
--> statement-breakpoint
CREATE TABLE "actor_target_groups" (
	"actor_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	CONSTRAINT "actor_target_groups_actor_id_target_group_id_pk" PRIMARY KEY("actor_id","target_group_id")
);
--> statement-breakpoint
CREATE TABLE "actors" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cvr" char(8),
	"org_type" "org_type" NOT NULL,
	"roles" "actor_role"[] NOT NULL,
	"under_service_act" boolean,
	"description" text,
	"website" text,
	"email" text,
	"phone" text,
	"address" text,
	"home_municipality_code" smallint NOT NULL,
	"status" "actor_status" DEFAULT 'active' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"name_norm" text GENERATED ALWAYS AS (samspil_norm(name)) STORED NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('danish', name), 'A') || setweight(to_tsvector('simple', samspil_norm(name)), 'A') || setweight(to_tsvector('danish', coalesce(description, '')), 'C')) STORED NOT NULL,
	CONSTRAINT "actors_cvr_uq" UNIQUE("cvr")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_id" integer,
	"municipality_code" smallint,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "municipalities" (
	"code" smallint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region_code" smallint NOT NULL,
	"region_name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "target_groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"ffb_code" uuid,
	"name_da" text NOT NULL,
	"name_en" text,
	"parent_id" integer,
	"municipality_code" smallint,
	"level" smallint NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "target_groups_ffb_code_unique" UNIQUE("ffb_code")
);
--> statement-breakpoint
ALTER TABLE "actor_contacts" ADD CONSTRAINT "actor_contacts_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "actor_municipalities" ADD CONSTRAINT "actor_municipalities_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "actor_municipalities" ADD CONSTRAINT "actor_municipalities_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "actor_target_groups" ADD CONSTRAINT "actor_target_groups_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "actor_target_groups" ADD CONSTRAINT "actor_target_groups_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "actors" ADD CONSTRAINT "actors_home_municipality_code_municipalities_code_fk" FOREIGN KEY ("home_municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_groups" ADD CONSTRAINT "target_groups_parent_id_target_groups_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_groups" ADD CONSTRAINT "target_groups_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "actor_contacts_actor_idx" ON "actor_contacts" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "actor_municipalities_municipality_idx" ON "actor_municipalities" USING btree ("municipality_code");--> statement-breakpoint
CREATE INDEX "actor_target_groups_group_idx" ON "actor_target_groups" USING btree ("target_group_id");--> statement-breakpoint
CREATE INDEX "actors_name_norm_trgm_idx" ON "actors" USING gin ("name_norm" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "actors_search_idx" ON "actors" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "actors_roles_idx" ON "actors" USING gin ("roles");--> statement-breakpoint
CREATE INDEX "actors_home_municipality_idx" ON "actors" USING btree ("home_municipality_code");--> statement-breakpoint
CREATE INDEX "actors_status_name_idx" ON "actors" USING btree ("status","name_norm");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity","entity_id","at");--> statement-breakpoint
CREATE INDEX "municipalities_region_idx" ON "municipalities" USING btree ("region_code");--> statement-breakpoint
CREATE INDEX "target_groups_parent_idx" ON "target_groups" USING btree ("parent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "target_groups_local_name_uq" ON "target_groups" USING btree (coalesce("municipality_code", 0),"parent_id",lower("name_da"));