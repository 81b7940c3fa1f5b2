import type { Methods } from '@slack/web-api';

// Every Web API method, its arguments and its result, read from @slack/web-api's own `Methods`
// (the tree behind `client.chat.postMessage(...)`), so no list of ours falls behind Slack's.

type Call = (...args: never[]) => Promise<unknown>;

/** `Methods`' groups (`chat`, `views`, `admin`, …): its own functions (`apiCall`) and EventEmitter's are left out. */
type Groups = {
  [K in keyof Methods & string as Methods[K] extends (...args: never[]) => unknown
    ? never
    : Methods[K] extends object
      ? K
      : never]: Methods[K];
};

/** The dotted names of the calls under `T`: `chat.postMessage`, `admin.apps.approved.list`, … */
type Leaves<T, Prefix extends string> = {
  [K in keyof T & string]: T[K] extends Call
    ? `${Prefix}${K}`
    : T[K] extends object
      ? Leaves<T[K], `${Prefix}${K}.`>
      : never;
}[keyof T & string];

/** The call at a dotted name. */
type At<T, Name extends string> = Name extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? At<T[Head], Rest>
    : never
  : Name extends keyof T
    ? T[Name]
    : never;

/**
 * Every Slack Web API method name @slack/web-api knows. `files.uploadV2` is left out: it is the
 * client's own sequence of three calls, not a method Slack answers.
 */
export type ApiMethod = Exclude<Leaves<Groups, ''>, 'files.uploadV2'>;

/** The arguments of `M`, as @slack/web-api types them. */
export type ApiArgs<M extends ApiMethod> =
  At<Groups, M> extends (options: infer A) => Promise<unknown> ? NonNullable<A> : never;

/** What `M` answers, as @slack/web-api types it (`ts` and `channel` of `chat.postMessage`, `view` of `views.open`, …). */
export type ApiResult<M extends ApiMethod> =
  At<Groups, M> extends (...args: never[]) => Promise<infer R> ? R : never;

/** A Web API method name's shape (`chat.postMessage`), to check one read back from the store. */
export const API_METHOD_NAME = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)+$/;
