# adwatch's own processes for docker-compose.yml: the worker (`npx tsx stream/main.ts`), the
# synthetic producer (`npx tsx stream/producer/main.ts`) and the kinesalite Kinesis emulator
# (`node scripts/kinesalite-server.mjs`). TypeScript runs through tsx, as in the local run.
FROM node:20-bookworm-slim

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, so a source change does not reinstall them. devDependencies are kept on
# purpose: tsx runs the TypeScript and kinesalite is the emulator.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY --chown=node:node . .

CMD ["npx", "tsx", "--max-semi-space-size=64", "stream/main.ts"]
