# The headless service as a container. Two stages: the first builds the dashboard and the service
# with every dev dependency, the second holds only the runtime dependencies and the built files.
#   docker build -t pbx-failover-monitor .
#   docker run -d --name pbx-monitor -p 8480:8480 -v pbx-monitor-data:/var/lib/pbx-failover-monitor pbx-failover-monitor
# The serverdir (settings, history, lock, api-token) is the volume; the log is the container's stdout.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The desktop shell is not built here: Electron's own binary is not needed to bundle the dashboard.
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json tsconfig.node.json tsconfig.server.json tsconfig.web.json electron.vite.config.ts ./
COPY src ./src
COPY resources ./resources
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/out/node ./out/node
COPY --from=build /app/out/renderer ./out/renderer
# A user of its own; the serverdir belongs to it before it becomes a volume, so a new named volume
# starts with that owner and mode 0700.
RUN useradd --system --uid 10001 --no-create-home --home-dir /var/lib/pbx-failover-monitor pbxmon \
 && mkdir -p /var/lib/pbx-failover-monitor \
 && chown pbxmon:pbxmon /var/lib/pbx-failover-monitor \
 && chmod 0700 /var/lib/pbx-failover-monitor
USER pbxmon
VOLUME /var/lib/pbx-failover-monitor
EXPOSE 8480
# SIGTERM (docker stop) finishes the writes and releases the lock: node runs as PID 1 and the
# service handles the signal itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/pbx-failover-monitor.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8480", "--serverdir", "/var/lib/pbx-failover-monitor"]
