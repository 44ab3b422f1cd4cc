# pgtrickle coordinator image: multi-stage, non-root, HEALTHCHECK on /healthz.
# Not built on the development machine (it has no Docker engine); the release
# workflow builds it (.github/workflows/release.yml).
# Build: docker build -t pgtrickle .   Run: docker run -e DATABASE_URL=postgres://… -p 9187:9187 pgtrickle
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor ./vendor
# production dependencies only; the embedded PostgreSQL package is kept (D12) but a container is meant to be given DATABASE_URL
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="pgtrickle" \
      org.opencontainers.image.description="Stream tables for PostgreSQL, maintained by an external TypeScript coordinator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/pgtrickle/pgtrickle"
ENV NODE_ENV=production \
    PGTRICKLE_METRICS_PORT=9187 \
    PGTRICKLE_LOG_FORMAT=json
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node src ./src
COPY --chown=node:node sql ./sql
COPY --chown=node:node workers ./workers
USER node
EXPOSE 9187
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PGTRICKLE_METRICS_PORT||9187)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# the same entrypoint as `npx pgtrickle`
ENTRYPOINT ["node", "bin/pgtrickle.js"]
CMD ["start"]
