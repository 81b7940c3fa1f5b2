import { existsSync } from 'node:fs';
import { defineConfig } from 'drizzle-kit';

// Like the app, drizzle-kit reads .env. `generate` needs no database; `migrate` and `studio` use DATABASE_URL.
if (existsSync('.env')) process.loadEnvFile('.env');

export default defineConfig({
  dialect: 'postgresql',
  // The framework's tables and the app's: one migration history for both.
  schema: ['./src/db/schema.ts', './src/app/store/schema.ts'],
  out: process.env.DRIZZLE_OUT ?? './drizzle',
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' },
});
