CREATE TABLE "digest_preferences" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"grants" text DEFAULT 'daily' NOT NULL,
	"agreements" text DEFAULT 'daily' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "digest_runs" (
	"municipality_code" smallint NOT NULL,
	"run_on" date NOT NULL,
	"mails" integer DEFAULT 0 NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "digest_runs_municipality_code_run_on_pk" PRIMARY KEY("municipality_code","run_on")
);
--> statement-breakpoint
CREATE TABLE "digest_settings" (
	"municipality_code" smallint PRIMARY KEY NOT NULL,
	"digest_time" text DEFAULT '07:00' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mail_keys" (
	"id" smallint PRIMARY KEY NOT NULL,
	"unsubscribe_key" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "digest_preferences" ADD CONSTRAINT "digest_preferences_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "digest_runs" ADD CONSTRAINT "digest_runs_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "digest_settings" ADD CONSTRAINT "digest_settings_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;