/** `npm run orgs -- add <slug> "<name>" | list | remove <slug>`: organizations, in development. */
import { asc, eq } from 'drizzle-orm';
import { organizations } from '../src/app/store/schema.js';
import { openDatabase } from '../src/db/open.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

const USAGE = 'usage: npm run orgs -- add <slug> "<name>" | list | remove <slug>';
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

runMain(async () => {
  const [command, slug, name] = process.argv.slice(2);
  if (command !== 'list' && command !== 'add' && command !== 'remove') throw new StartupError(USAGE);
  if (command !== 'list' && (!slug || !SLUG.test(slug))) {
    throw new StartupError(`a slug is lowercase letters, digits and dashes (got "${slug ?? ''}"). ${USAGE}`);
  }
  const config = nodeConfig();
  const handle = await openDatabase(config.DATABASE_URL, {
    migrate: migratesItself(config.DATABASE_URL),
    max: 1,
  });
  try {
    const { db } = handle;
    if (command === 'list') {
      const all = await db.select().from(organizations).orderBy(asc(organizations.slug));
      if (all.length === 0) console.log('no organizations yet: npm run orgs -- add <slug> "<name>"');
      for (const org of all) console.log(`${org.slug}\t${org.name}`);
    } else if (command === 'add' && slug) {
      await db
        .insert(organizations)
        .values({ slug, name: name || slug })
        .onConflictDoUpdate({ target: organizations.slug, set: { name: name || slug } });
      console.log(`added ${slug} (${name || slug})`);
    } else if (slug) {
      const gone = await db
        .delete(organizations)
        .where(eq(organizations.slug, slug))
        .returning({ id: organizations.id });
      console.log(gone.length > 0 ? `removed ${slug} and its channel links` : `no organization ${slug}`);
    }
  } finally {
    await handle.close();
  }
});

/** The embedded database migrates itself in development; a server is migrated with `npm run db:migrate`. */
function migratesItself(url: string | undefined): boolean {
  return !url?.startsWith('postgres');
}
