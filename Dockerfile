# syntax=docker/dockerfile:1
# Samspil: build with `docker build -t samspil .`, run with DATABASE_URL pointing at PostgreSQL 15+
# (see docs/operations.md). Without DATABASE_URL the app uses embedded PGlite in the /app/data volume,
# which is for trying it out: one process, no fsync.

# ---- build: install everything, type-check, then drop the dev dependencies -------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app

# `npm ci` runs the root postinstall (scripts/copy-assets.mjs), which copies dkfds and htmx.org
# (both runtime dependencies) from node_modules into public/vendor. The app serves them itself.
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund

# .dockerignore keeps node_modules and public/vendor out of the context, so this does not
# overwrite what npm ci just made.
COPY . .
RUN npm run typecheck \
  && npm prune --omit=dev --no-audit --no-fund \
  && test -f public/vendor/htmx/htmx.min.js \
  && test -f public/vendor/dkfds/css/dkfds.min.css \
  && test ! -e node_modules/tsx

# ---- runtime ---------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
# The malloc settings are those of `npm start` (package.json): two arenas, and buffers of 128 KB and
# more given back to the system when freed. Reader threads (imports) otherwise leave their memory
# in arenas of their own: a 300,000-row import peaked at 341 MB without them, 290 MB with them.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app

# Node 24 runs the TypeScript itself (type stripping: tsconfig's erasableSyntaxOnly keeps the code
# to what it can strip), so there is no compile step and no loader in the image.
# App files stay owned by root: the node user can read them but not change them.
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/views ./views
COPY --from=build /app/public ./public
COPY --from=build /app/drizzle ./drizzle

# Only used when DATABASE_URL is unset (embedded PGlite). Production sets DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]

USER node
EXPOSE 3000

# Migrations run at start-up, so give the first start some time.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# server.ts closes the server and the database on SIGTERM (docker stop).
# A bounded heap keeps the process small (see bench/RESULTS.md and, for a million-row import,
# bench/IMPORT.md). The Node flags are those of `npm start` (package.json).
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=8", "src/server.ts"]
