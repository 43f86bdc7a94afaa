# The platform image: one image, the part to run chosen by PARTS / the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm i --no-save tsx@4
COPY . .
ENV NODE_ENV=production DATA_DIR=/data
VOLUME /data
EXPOSE 1883 8080
CMD ["node", "--import", "tsx", "main.ts"]
