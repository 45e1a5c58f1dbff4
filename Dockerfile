# syntax=docker/dockerfile:1
# One image definition for the operator and the three services. Each final stage is a target:
#   docker build --target operator -t ghcr.io/event-pipeline/operator:0.1.0 .
# (`make images` builds all four). Node 24 runs the TypeScript sources directly (type stripping),
# so there is no build step: only production dependencies and sources are copied.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/platform/package.json packages/platform/
COPY packages/stack/package.json packages/stack/
COPY services/ingest/package.json services/ingest/
COPY services/dedup-consumer/package.json services/dedup-consumer/
COPY services/archiver/package.json services/archiver/
COPY operator/package.json operator/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/@event-pipeline/stack packages/stack

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/packages packages
COPY --from=deps /app/services services
COPY --from=deps /app/operator operator
COPY package.json ./
COPY packages/platform/src packages/platform/src
# A numeric non-root user, so runAsNonRoot can verify it; nothing is written to the root filesystem
# (the pods mount an emptyDir at /tmp).
USER 10001:10001

FROM runtime AS operator
COPY operator/src operator/src
EXPOSE 8081 6443
ENTRYPOINT ["node", "operator/src/main.ts"]

FROM runtime AS ingest
COPY services/ingest/src services/ingest/src
EXPOSE 8080
ENTRYPOINT ["node", "services/ingest/src/main.ts"]

FROM runtime AS dedup-consumer
COPY services/dedup-consumer/src services/dedup-consumer/src
ENTRYPOINT ["node", "services/dedup-consumer/src/main.ts"]

FROM runtime AS archiver
COPY services/archiver/src services/archiver/src
ENTRYPOINT ["node", "services/archiver/src/main.ts"]
