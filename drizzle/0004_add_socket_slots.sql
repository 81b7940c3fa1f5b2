CREATE TABLE "socket_members" (
	"owner" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "socket_slots" (
	"slot" integer PRIMARY KEY NOT NULL,
	"owner" text,
	"holder" text,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
