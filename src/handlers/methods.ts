import type { ApiMethod } from '../core/action.js';

/** The Web API methods the reference app's handlers call: the manifest must grant their scopes. */
export function apiMethodsUsed(): ApiMethod[] {
  return ['chat.postMessage', 'chat.unfurl', 'views.open', 'views.publish'];
}
