# syntax=docker/dockerfile:1
# Build stage: full toolchain (TypeScript, Peggy, AssemblyScript) produces dist/, then the packed
# package is installed with production dependencies only into /opt/strata.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm install` honours the lock; npm 11's `npm ci` rejects locks that omit other platforms' optional
# binaries. No dependency needs its install script (native modules ship prebuilt binaries), and
# npm 10 runs such scripts while newer npm skips them: --ignore-scripts makes both do the same.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY native ./native
COPY src ./src
# npm pack does not create its --pack-destination.
RUN node scripts/build.mjs && mkdir -p /pkg && npm pack --pack-destination /pkg
WORKDIR /opt/strata
# The tarball is what `npm publish` would ship; the lock pins its production dependencies.
# uWebSockets.js ships binaries for every platform and Node ABI (~110 MB); only this image's stays.
RUN tar -xzf /pkg/strata-*.tgz --strip-components=1 && cp /src/package-lock.json . \
 && npm install --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm package-lock.json && chmod 755 dist/cli.js \
 && abi=$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules') \
 && test -f "node_modules/uWebSockets.js/binaries/uws_$abi.node" \
 && find node_modules/uWebSockets.js -name 'uws_*.node' ! -path "*/binaries/uws_$abi.node" -delete \
 && rm -rf node_modules/uWebSockets.js/docs

# Runtime stage: Node, the built package and its production dependencies; no compilers, no sources.
FROM node:20-bookworm-slim
# glibc: serve large allocations with mmap so memory freed after ingestion bursts returns to the OS.
ENV NODE_ENV=production MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /opt/strata /opt/strata
RUN ln -s /opt/strata/dist/cli.js /usr/local/bin/strata \
 && groupadd --system strata && useradd --system --gid strata --home-dir /data strata \
 && mkdir -p /data && chown strata:strata /data
USER strata
WORKDIR /data
VOLUME /data
EXPOSE 8428
# Finds the port (and http/https) from the server's own flags, so --httpListenAddr given after the
# image name is followed, e.g. with host networking.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/opt/strata/dist/healthcheck.js"]
ENTRYPOINT ["strata", "serve", "--storageDataPath=/data"]
