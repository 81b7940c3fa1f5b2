CREATE TABLE "oauth_states" (
	"id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "bot_id" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "team_name" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "enterprise_name" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "installer_user_id" text;--> statement-breakpoint
ALTER TABLE "installations" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "oauth_states_expires_at" ON "oauth_states" USING btree ("expires_at");