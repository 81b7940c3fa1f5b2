import * as z from 'zod';

/** The reference app's store writes, run after the ack like any other effect. */
export const WriteSchema = z.discriminatedUnion('op', [
  z.object({
    type: z.literal('store'),
    op: z.literal('link_channel'),
    teamId: z.string(),
    channelId: z.string(),
    organizationSlug: z.string(),
    linkedBy: z.string(),
  }),
  z.object({
    type: z.literal('store'),
    op: z.literal('unlink_channel'),
    teamId: z.string(),
    channelId: z.string(),
  }),
]);
export type Write = z.infer<typeof WriteSchema>;

/** Builders, so handlers read as what they mean. */
export const write = {
  link: (link: Omit<Extract<Write, { op: 'link_channel' }>, 'type' | 'op'>): Write => ({
    type: 'store',
    op: 'link_channel',
    ...link,
  }),
  unlink: (teamId: string, channelId: string): Write => ({
    type: 'store',
    op: 'unlink_channel',
    teamId,
    channelId,
  }),
};
