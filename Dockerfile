# The Node HTTP server in a container: `docker build -t slack-router .`, then
# `docker run -p 3000:3000 --env-file .env slack-router` (set DATABASE_URL to PostgreSQL in production;
# unset, the embedded database lives in /app/.data: mount a volume there to keep it).
# test/deploy/dockerfile.test.ts assembles the final stage from these COPY lines and runs it with node.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY dev ./dev
COPY drizzle ./drizzle
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/node.js"]
