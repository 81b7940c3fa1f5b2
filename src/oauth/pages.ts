import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

/** One plain page: no script, no external resources, every value escaped by `html`. Links are relative (a proxy's base path works). */
function layout(title: string, body: Page): Page {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1d1c1d; }
a.button { display: inline-block; padding: .6rem 1.2rem; border-radius: 4px; background: #4a154b; color: #fff; text-decoration: none; font-weight: 600; }
</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>`;
}

/** `GET /slack/install`: the "Add to Slack" button. */
export const installPage = (authorizeUrl: string): Page =>
  layout(
    'Add to Slack',
    html`<p>Install the app in your Slack workspace. Slack asks you to choose the workspace and approve what the app may do.</p>
<p><a class="button" href="${authorizeUrl}">Add to Slack</a></p>`,
  );

/** The install worked: a link that opens the workspace in Slack. */
export const installedPage = (where: { name: string; openUrl: string }): Page =>
  layout(
    'Installed',
    html`<p>The app is installed in ${where.name}.</p>
<p><a class="button" href="${where.openUrl}">Open Slack</a></p>`,
  );

/** The person chose Cancel on Slack's page. */
export const deniedPage = (): Page =>
  layout(
    'Not installed',
    html`<p>You cancelled the install, so nothing was changed. You can start again whenever you like.</p>
<p><a href="install">Add to Slack</a></p>`,
  );

/** The install could not finish; `reason` says why in plain words (never a code, state or token). */
export const failedPage = (reason: string): Page =>
  layout(
    'Install failed',
    html`<p>${reason}</p>
<p><a href="install">Start the install again</a></p>`,
  );
