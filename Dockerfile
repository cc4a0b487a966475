# The RESTfulSwarm image: one image, every component (`rswarm <component>`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/rswarm.js"]
