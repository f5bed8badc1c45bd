# Rehearsal's services, one target each: core, mock-idp, gateway, console.
#
#   bash scripts/docker-base-image.sh            # rehearsal-node:20, from this machine's Node
#   docker build --network host --target core -t rehearsal-core .
#
# The base image holds Node.js and npm only; node_modules come from the build
# context (installed on the host by `npm ci`, native addons included) and are
# pruned to production dependencies in the build stage.
ARG BASE=rehearsal-node:20

FROM ${BASE} AS build
WORKDIR /app
COPY . .
# Without an installed tree, npm would go to the registry from inside the build, with no compiler for
# better-sqlite3: stop at once and say what to run instead.
RUN test -d node_modules/better-sqlite3/build || { echo 'The build context has no installed node_modules: run `bash scripts/docker-base-image.sh` (it runs npm ci) or `npm ci` first.' >&2; exit 1; }
# Compiled once here: the services start from dist/, with nothing compiled at run time.
RUN ["node", "scripts/build.mjs"]
RUN ["npm", "prune", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--offline"]
# Tests, benches and end-to-end suites stay out of the images.
RUN ["node", "-e", "for (const d of ['e2e/test', 'e2e/scenarios', 'cli/test', 'runtime/test', 'core/test', 'core/bench', 'mock-idp/test', 'mock-idp/bench', 'gateway/test', 'gateway/bench', 'console/test']) require('fs').rmSync(d, { recursive: true, force: true })"]

FROM ${BASE} AS runtime
WORKDIR /app
COPY --from=build /app /app
# Keys, certificates and core's database live in /data, a volume owned by the service user.
RUN ["node", "-e", "require('fs').mkdirSync('/data', { recursive: true }); require('fs').chownSync('/data', 10001, 10001)"]
ENV NODE_ENV=production REHEARSAL_DATA_DIR=/data LOG_LEVEL=info
VOLUME ["/data"]
USER 10001:10001
HEALTHCHECK --interval=2s --timeout=3s --start-period=3s --retries=20 CMD ["node", "scripts/healthcheck.mjs"]

FROM runtime AS core
ENV REHEARSAL_SERVICE=core CORE_HOST=0.0.0.0 CORE_PORT=9000
EXPOSE 9000
CMD ["node", "dist/core.js"]

FROM runtime AS mock-idp
ENV REHEARSAL_SERVICE=mock-idp IDP_HOST=0.0.0.0 IDP_PORT=7000
EXPOSE 7000
CMD ["node", "dist/mock-idp.js"]

FROM runtime AS gateway
ENV REHEARSAL_SERVICE=gateway GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
EXPOSE 8000
CMD ["node", "dist/gateway.js"]

FROM runtime AS console
ENV REHEARSAL_SERVICE=console CONSOLE_HOST=0.0.0.0 CONSOLE_PORT=7900
EXPOSE 7900
CMD ["node", "dist/console.js"]
