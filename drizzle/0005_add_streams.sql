CREATE TABLE "streams" (
	"outbox_id" bigint PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"thread_ts" text NOT NULL,
	"status" text DEFAULT 'streaming' NOT NULL,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"calls" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"stop_requested_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "streams" ADD CONSTRAINT "streams_outbox_id_outbox_id_fk" FOREIGN KEY ("outbox_id") REFERENCES "public"."outbox"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "streams_thread" ON "streams" USING btree ("channel","thread_ts");