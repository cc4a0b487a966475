# The RESTfulSwarm image: one image, every component (`rswarm <component>`).
# Two stages: the build stage compiles the TypeScript to dist/ with the dev dependencies; the
# runtime stage holds the production dependencies, dist/ and the files read at run time
# (openapi/openapi.yaml, the dashboard in frontend/ui/), and runs node on the build: no tsx,
# no compiling at start.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Only the compiler runs here, so the dependencies' install scripts (native add-ons) are skipped.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/build.js
COPY core core
COPY frontend frontend
COPY job-manager job-manager
COPY global-manager global-manager
COPY discovery discovery
COPY worker worker
COPY stress-client stress-client
COPY management-engine management-engine
COPY gateway gateway
COPY openapi openapi
COPY cli cli
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm's prepare hook runs scripts/build.js, which skips the build without TypeScript (a dev
# dependency): dist/ comes from the build stage.
COPY scripts/build.js scripts/build.js
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY bin bin
COPY openapi/openapi.yaml openapi/openapi.yaml
COPY frontend/ui frontend/ui
ENTRYPOINT ["node", "bin/rswarm.js"]
