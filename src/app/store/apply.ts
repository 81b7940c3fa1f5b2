import { and, eq, sql } from 'drizzle-orm';
import { unreachable } from '../../core/action.js';
import { EffectError } from '../../core/errors.js';
import type { StoreHandle } from '../../db/database.js';
import type { Write } from '../writes.js';
import { channelLinks, organizations } from './schema.js';

/** Applies one store write. */
export async function applyWrite({ db }: StoreHandle, w: Write): Promise<void> {
  switch (w.op) {
    case 'link_channel': {
      const [org] = await db
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.slug, w.organizationSlug));
      if (!org)
        throw new EffectError(`organization ${w.organizationSlug} no longer exists`, { retryable: false });
      await db
        .insert(channelLinks)
        .values({ teamId: w.teamId, channelId: w.channelId, organizationId: org.id, linkedBy: w.linkedBy })
        .onConflictDoUpdate({
          target: [channelLinks.teamId, channelLinks.channelId],
          set: { organizationId: org.id, linkedBy: w.linkedBy, linkedAt: sql`now()` },
        });
      return;
    }
    case 'unlink_channel':
      await db
        .delete(channelLinks)
        .where(and(eq(channelLinks.teamId, w.teamId), eq(channelLinks.channelId, w.channelId)));
      return;
    default:
      unreachable(w);
  }
}
