/** Replaced by `true` when dev/build.ts bundles an entry into dist/; undeclared under tsx and vitest. */
declare const __SLACK_ROUTER_BUILT__: boolean | undefined;

/**
 * Whether this process runs from dist/ (`npm start`, `npm run start:socket`): production by default,
 * so the inspector is hidden without INSPECTOR_TOKEN unless INSPECTOR_DEV=true.
 */
export const BUILT: boolean = typeof __SLACK_ROUTER_BUILT__ !== 'undefined' && __SLACK_ROUTER_BUILT__;

/** The esbuild `define` that marks a bundle as built (dev/build.ts). */
export const BUILT_DEFINE = { __SLACK_ROUTER_BUILT__: 'true' } as const;
