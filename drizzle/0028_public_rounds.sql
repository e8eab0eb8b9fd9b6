CREATE TABLE "grant_round_criteria" (
	"id" serial PRIMARY KEY NOT NULL,
	"round_id" integer NOT NULL,
	"position" smallint NOT NULL,
	"title" text NOT NULL,
	"description" text,
	CONSTRAINT "grant_round_criteria_position_ck" CHECK ("grant_round_criteria"."position" >= 1)
);
--> statement-breakpoint
CREATE TABLE "grant_round_target_groups" (
	"round_id" integer NOT NULL,
	"target_group_id" integer NOT NULL,
	CONSTRAINT "grant_round_target_groups_round_id_target_group_id_pk" PRIMARY KEY("round_id","target_group_id")
);
--> statement-breakpoint
ALTER TABLE "grant_rounds" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "grant_round_criteria" ADD CONSTRAINT "grant_round_criteria_round_id_grant_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."grant_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_round_target_groups" ADD CONSTRAINT "grant_round_target_groups_round_id_grant_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."grant_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_round_target_groups" ADD CONSTRAINT "grant_round_target_groups_target_group_id_target_groups_id_fk" FOREIGN KEY ("target_group_id") REFERENCES "public"."target_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "grant_round_criteria_round_idx" ON "grant_round_criteria" USING btree ("round_id","position");--> statement-breakpoint
CREATE INDEX "grant_round_target_groups_group_idx" ON "grant_round_target_groups" USING btree ("target_group_id");