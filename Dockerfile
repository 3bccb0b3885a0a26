# syntax=docker/dockerfile:1
# Build stage: full toolchain (TypeScript, Peggy, AssemblyScript) produces dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm install honours the lock; npm 11's `npm ci` rejects locks that omit other platforms' optional binaries.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY native ./native
COPY src ./src
RUN node scripts/build.mjs && npm pack --pack-destination /pkg

# Runtime stage: the packed tarball installed with production dependencies only.
FROM node:20-bookworm-slim
# glibc: serve large allocations with mmap so memory freed after ingestion bursts returns to the OS.
ENV NODE_ENV=production MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /opt/strata
COPY --from=build /pkg/strata-*.tgz /tmp/strata.tgz
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/strata.tgz && rm /tmp/strata.tgz \
 && groupadd --system strata && useradd --system --gid strata --home-dir /data strata \
 && mkdir -p /data && chown strata:strata /data
USER strata
VOLUME /data
EXPOSE 8428
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8428/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["strata", "serve", "--storageDataPath=/data"]
