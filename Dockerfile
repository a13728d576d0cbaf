# Liveline node image: docker build -t liveline .
# Multi-stage: the build stage has the dev dependencies (TypeScript, esbuild) and the
# sources; the runtime stage holds only what `node dist/server/index.js` needs:
# package.json (server/paths.ts finds the project root by it), dist/, the built SDK
# (client-sdk/dist/, served at /sdk/*), the built editor console (editor-console/dist/,
# served at /editor) and the production node_modules.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a source change does not re-download them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-sdk.mjs scripts/build-console.mjs scripts/
COPY server/ server/
COPY client-sdk/ client-sdk/
COPY editor-console/ editor-console/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    LIVELINE_METRICS_PORT=9464
WORKDIR /app
# Owned by root and read-only to the process: the server writes nothing to its own tree.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/client-sdk/dist/ client-sdk/dist/
COPY --from=build /app/editor-console/dist/ editor-console/dist/
# The non-root user the node:20 images provide (uid 1000).
USER node
# 8080: the public port (readers, editors), behind the balancer. Prometheus /metrics
# listens on LIVELINE_METRICS_PORT (9464), for the scraper only: deliberately not
# EXPOSEd, so `docker run -P` never publishes it (compose lists it under "expose:").
EXPOSE 8080
# Ready = can deliver (Redis and pub/sub work; 503 while draining). Node's own fetch:
# the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# On SIGTERM the node stops accepting, answers /readyz 503, tells its readers to
# reconnect elsewhere spread over its drain window (~10 s), finishes in-flight writes
# and exits. The orchestrator's stop timeout must exceed that window, or readers are cut
# off all at once: docker stop -t 30, compose stop_grace_period: 30s, Kubernetes
# terminationGracePeriodSeconds: 30. node runs as PID 1 and handles SIGTERM itself (no
# npm wrapper, which would not pass the signal on).
STOPSIGNAL SIGTERM
# --optimize-for-size: less heap slack per idle reader, same CPU per delivery (docs/benchmarks.md).
CMD ["node", "--optimize-for-size", "dist/server/index.js"]
