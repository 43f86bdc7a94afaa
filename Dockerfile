# The platform image: one image, the part to run chosen by PARTS / the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script builds the console from sources not copied yet (built below)
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm i --no-save --ignore-scripts tsx@4
COPY . .
# the console bundle (console/dist/), built into the image so the API only serves files
RUN npm run build:console
ENV NODE_ENV=production DATA_DIR=/data
VOLUME /data
EXPOSE 1883 8080
CMD ["node", "--import", "tsx", "main.ts"]
