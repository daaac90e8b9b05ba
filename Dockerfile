# siyu 私域 — container image. Build, run and where the tokens go: docs/deploy.md.
#   docker build -t siyu .
#   docker run -d --name siyu --restart unless-stopped --env-file /srv/siyu/siyu.env \
#     -v /srv/siyu/config:/app/config:ro -v siyu-data:/data siyu
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# dependencies first, so a code change does not reinstall them. No build step: the bot runs
# its TypeScript through tsx, which is a runtime dependency, so --omit=dev keeps what it needs
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY skills ./skills
COPY config ./config
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs

# run as the base image's unprivileged `node` user; it owns only the data dir (the code stays
# root-owned, read-only to the bot). wechaty-puppet-service caches in $HOME/.wechaty
# (/home/node, inside this container only) under a folder named after the token
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]

# the console serves GET /healthz (no token) on 127.0.0.1:7350 inside the container. Until the
# console is part of the bot nothing listens there and the container shows as unhealthy.
EXPOSE 7350
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]

# SIGTERM: the bot stops taking events, writes the store and exits 0 within 10 s
# (docker stop waits 10 s by default: use `docker stop -t 20` / stop_grace_period: 20s)
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts", "--config", "config/bot.yaml", "--data", "/data"]
