CREATE TABLE "lanes" (
	"key" text PRIMARY KEY NOT NULL,
	"tat" double precision NOT NULL,
	"free_at" double precision NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
