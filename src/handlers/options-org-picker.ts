import { type Action, ack } from '../core/action.js';
import type { OptionsEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';

/** Slack's limit on options in one block_suggestion answer. */
const MAX_OPTIONS = 100;

/** The modal's organization picker: organizations whose slug or name match what was typed. */
export const optionsOrgPicker: Handler<OptionsEvent> = async (event, { lookups }): Promise<Action[]> => {
  const orgs = await lookups.searchOrganizations(event.payload.value.trim(), MAX_OPTIONS);
  return [
    ack.options(
      orgs.map((org) => ({
        text: { type: 'plain_text', text: `${org.name} (${org.slug})` },
        value: org.slug,
      })),
    ),
  ];
};
