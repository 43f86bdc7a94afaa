# The platform image: one image, the part to run chosen by PARTS / the command.

# The console bundle (console/dist/), built with the build-time dependencies (esbuild, Preact, uPlot)
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script builds the console from sources not copied yet (built below)
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build:console

# The platform: production dependencies only; the API serves the console's files as built above
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY . .
COPY --from=console /app/console/dist console/dist
ENV NODE_ENV=production DATA_DIR=/data
VOLUME /data
EXPOSE 1883 8080
CMD ["node", "--import", "tsx", "main.ts"]
