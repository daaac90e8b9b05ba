# siyu 私域 — container image. Build, run and where the tokens go: docs/deploy.md.
#   docker build -t siyu .
#   docker run -d --name siyu --restart unless-stopped --env-file /srv/siyu/siyu.env \
#     -v /srv/siyu/config:/app/config:ro -v siyu-data:/data siyu
# build: every dependency (typescript is a dev one), `npm ci` compiles src/ and skills/ into
# dist/ (the prepare script, scripts/build.mjs); then the dev dependencies are dropped
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY skills ./skills
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# the image: the compiled dist/ and the runtime dependencies only — no TypeScript at start
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs

# run as the base image's unprivileged `node` user; it owns only the data dir (the code stays
# root-owned, read-only to the bot). wechaty-puppet-service caches in $HOME/.wechaty
# (/home/node, inside this container only) under a folder named after the token
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]

# the console serves GET /healthz (no token) on 127.0.0.1:7350 inside the container
EXPOSE 7350
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]

# SIGTERM: the bot stops taking events, writes the store and exits 0 within 10 s
# (docker stop waits 10 s by default: use `docker stop -t 20` / stop_grace_period: 20s)
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli/siyu.js", "start", "--config", "config/bot.yaml", "--data", "/data"]
