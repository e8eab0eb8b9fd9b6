ALTER TABLE "users" ADD COLUMN "locale" text DEFAULT 'da' NOT NULL;--> statement-breakpoint
ALTER TABLE "password_resets" ADD COLUMN "purpose" text DEFAULT 'reset' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_locale_ck" CHECK ("users"."locale" in ('da', 'en'));--> statement-breakpoint
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_purpose_ck" CHECK ("password_resets"."purpose" in ('reset', 'welcome'));