import { defineConfig } from 'drizzle-kit';

// drizzle-kit reads DATABASE_URL from .env (like the app) only for `migrate`/`studio`; `generate` needs no database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: process.env.DRIZZLE_OUT ?? './drizzle',
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
});
