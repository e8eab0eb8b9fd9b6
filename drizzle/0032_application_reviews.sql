CREATE TABLE "application_conflicts" (
	"application_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"declared_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reason" text NOT NULL,
	CONSTRAINT "application_conflicts_application_id_user_id_pk" PRIMARY KEY("application_id","user_id"),
	CONSTRAINT "application_conflicts_reason_ck" CHECK (char_length("application_conflicts"."reason") between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "application_review_scores" (
	"application_id" integer NOT NULL,
	"reviewer_id" integer NOT NULL,
	"criterion_id" integer NOT NULL,
	"score" smallint NOT NULL,
	"comment" text,
	CONSTRAINT "application_review_scores_application_id_reviewer_id_criterion_id_pk" PRIMARY KEY("application_id","reviewer_id","criterion_id"),
	CONSTRAINT "application_review_scores_score_ck" CHECK ("application_review_scores"."score" between 1 and 5),
	CONSTRAINT "application_review_scores_comment_ck" CHECK (char_length("application_review_scores"."comment") <= 2000)
);
--> statement-breakpoint
CREATE TABLE "application_reviews" (
	"id" serial PRIMARY KEY NOT NULL,
	"application_id" integer NOT NULL,
	"reviewer_id" integer NOT NULL,
	"comment" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"withdrawn_at" timestamp with time zone,
	CONSTRAINT "application_reviews_comment_ck" CHECK (char_length("application_reviews"."comment") <= 4000)
);
--> statement-breakpoint
ALTER TABLE "application_conflicts" ADD CONSTRAINT "application_conflicts_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_conflicts" ADD CONSTRAINT "application_conflicts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_review_scores" ADD CONSTRAINT "application_review_scores_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_review_scores" ADD CONSTRAINT "application_review_scores_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_review_scores" ADD CONSTRAINT "application_review_scores_criterion_id_grant_round_criteria_id_fk" FOREIGN KEY ("criterion_id") REFERENCES "public"."grant_round_criteria"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_reviews" ADD CONSTRAINT "application_reviews_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_reviews" ADD CONSTRAINT "application_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "application_reviews_reviewer_uq" ON "application_reviews" USING btree ("application_id","reviewer_id");