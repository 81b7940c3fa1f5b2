/** `npm run orgs -- add <slug> "<name>" [--rename] | list | remove <slug>`: organizations, in development. */
import { asc, eq } from 'drizzle-orm';
import { organizations } from '../src/app/store/schema.js';
import { openDatabase } from '../src/db/open.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

const USAGE = 'usage: npm run orgs -- add <slug> "<name>" [--rename] | list | remove <slug>';
/** The part of a URL after `/orgs/`: a DNS label's rules, so it also fits a subdomain. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SLUG_RULE = 'a slug is 1–63 characters: lowercase letters, digits and dashes, not starting with a dash';
/** Slack's limit for an option's text: the organization picker shows the names. */
export const NAME_MAX = 75;

/** What the command was asked to do, or a `StartupError` naming the rule that was broken. */
function parse(argv: string[]) {
  const flags = argv.filter((arg) => arg.startsWith('--'));
  const [command, slug, name, ...extra] = argv.filter((arg) => !arg.startsWith('--'));
  const rename = flags.includes('--rename');
  const unknown = flags.find((flag) => flag !== '--rename');
  if (unknown) throw new StartupError(`unknown option ${unknown}. ${USAGE}`);
  if (command === 'list' && slug === undefined) return { command, rename } as const;
  if ((command !== 'add' && command !== 'remove') || extra.length > 0) throw new StartupError(USAGE);
  if (rename && command !== 'add') throw new StartupError(`--rename goes with add. ${USAGE}`);
  if (command === 'remove' && name !== undefined) throw new StartupError(USAGE);
  if (!slug || !SLUG.test(slug)) {
    const got = !slug ? 'nothing' : slug.length > 63 ? `${slug.length} characters` : `"${slug}"`;
    throw new StartupError(`${SLUG_RULE} (got ${got})`);
  }
  const display = name?.trim() || slug;
  if ([...display].length > NAME_MAX) {
    throw new StartupError(
      `a name is at most ${NAME_MAX} characters, Slack's limit for a picker option (got ${[...display].length})`,
    );
  }
  return { command, slug, name: display, rename } as const;
}

runMain(async () => {
  const args = parse(process.argv.slice(2));
  const config = nodeConfig();
  const handle = await openDatabase(config.DATABASE_URL, {
    migrate: migratesItself(config.DATABASE_URL),
    max: 1,
  });
  try {
    const { db } = handle;
    if (args.command === 'list') {
      const all = await db.select().from(organizations).orderBy(asc(organizations.slug));
      if (all.length === 0) console.log('no organizations yet: npm run orgs -- add <slug> "<name>"');
      for (const org of all) console.log(`${org.slug}\t${org.name}`);
      return;
    }
    const { slug, name } = args;
    if (args.command === 'remove') {
      const gone = await db
        .delete(organizations)
        .where(eq(organizations.slug, slug))
        .returning({ id: organizations.id });
      if (gone.length === 0)
        throw new StartupError(`no organization ${slug}: npm run orgs -- list shows them`);
      console.log(`removed ${slug} and its channel links`);
      return;
    }
    const [added] = await db
      .insert(organizations)
      .values({ slug, name })
      .onConflictDoNothing({ target: organizations.slug })
      .returning({ id: organizations.id });
    if (added) {
      console.log(`added ${slug} (${name})`);
      return;
    }
    const [existing] = await db
      .select({ name: organizations.name })
      .from(organizations)
      .where(eq(organizations.slug, slug));
    if (!args.rename) {
      throw new StartupError(
        `${slug} exists (${existing?.name ?? slug}): add --rename to rename it to "${name}", or pick another slug`,
      );
    }
    await db.update(organizations).set({ name }).where(eq(organizations.slug, slug));
    console.log(`renamed ${slug}: ${existing?.name ?? slug} → ${name}`);
  } finally {
    await handle.close();
  }
});

/** The embedded database migrates itself in development; a server is migrated with `npm run db:migrate`. */
function migratesItself(url: string | undefined): boolean {
  return !url?.startsWith('postgres');
}
