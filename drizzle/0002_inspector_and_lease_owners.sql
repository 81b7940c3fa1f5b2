ALTER TABLE "deliveries" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "channel_id" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "handler" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "ack_ms" real;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "event" jsonb;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "locked_by" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "manual_retries" integer DEFAULT 0 NOT NULL;