import { ack } from '../../core/action.js';
import type { OptionsEvent } from '../../core/event.js';
import type { AppHandler } from '../types.js';

/** Slack's limit on options in one block_suggestion answer. */
const MAX_OPTIONS = 100;

/** The modal's organization picker: organizations whose slug or name match what was typed. */
export const optionsOrgPicker = (async (event, { lookups }) => {
  const orgs = await lookups.searchOrganizations(event.payload.value.trim(), MAX_OPTIONS);
  return [
    ack.options(
      orgs.map((org) => ({
        text: { type: 'plain_text', text: `${org.name} (${org.slug})` },
        value: org.slug,
      })),
    ),
  ];
}) satisfies AppHandler<OptionsEvent>;
