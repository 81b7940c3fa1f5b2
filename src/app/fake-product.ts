import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Organization } from './lookups.js';

/** What the fake product answers for an organization: its summary, or a status to fail with. */
export type FakeAnswer = ({ summary: string } | { status: number }) & { delayMs?: number };

/**
 * A stand-in for the product's API on 127.0.0.1, for tests and `npm run fake:product`:
 * `GET /api/orgs/<slug>` answers `{ summary }` for the organizations it knows, 404 for the others.
 * It records each request's idempotency key.
 */
export class FakeProduct {
  readonly requests: { slug: string; idempotencyKey: string | null }[] = [];
  readonly #answers = new Map<string, FakeAnswer[]>();
  #server = createServer(async (req, res) => {
    const match = /^\/api\/orgs\/([^/?]+)$/.exec(req.url ?? '');
    const slug = match?.[1] ? decodeURIComponent(match[1]) : null;
    if (req.method !== 'GET' || slug === null) {
      res.writeHead(404).end();
      return;
    }
    const key = req.headers['idempotency-key'];
    this.requests.push({ slug, idempotencyKey: typeof key === 'string' ? key : null });
    const queue = this.#answers.get(slug) ?? [];
    const answer = queue.length > 1 ? queue.shift() : queue[0];
    if (answer?.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (!answer) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    else if ('status' in answer) res.writeHead(answer.status).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });

  constructor(orgs: (Organization & { summary: string })[] = []) {
    for (const org of orgs) this.answer(org.slug, { summary: org.summary });
  }

  /** Answers `slug` with these, one per request, the last one from then on. */
  answer(slug: string, ...answers: FakeAnswer[]): this {
    this.#answers.set(slug, answers);
    return this;
  }

  /** Listens on 127.0.0.1 (`port` 0: a free one) and answers the API's base URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
