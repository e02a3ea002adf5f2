# kvssink on Ubuntu 24.04 (x86_64 or arm64).
#   docker build -f docker/ubuntu.Dockerfile -t kvssink .
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION kvssink \
#     gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency bframes=0 key-int-max=30 ! \
#     video/x-h264,stream-format=avc,alignment=au,profile=baseline ! kvssink stream-name=cam1
# Ubuntu's own nodejs is older than the 20.18 the worker needs, so Node comes from the
# official Node image (same glibc family, runs as is).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS node

FROM ubuntu:24.04 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools \
      cmake pkg-config build-essential python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
# The element records the worker's absolute path at build time: build where it will run.
WORKDIR /opt/kvssink
COPY package.json package-lock.json binding.gyp CMakeLists.txt tsconfig.json ./
COPY native native
RUN npm ci --no-audit --no-fund
COPY src src
COPY README.md ./
COPY scripts scripts
RUN bash scripts/build && npm prune --omit=dev

FROM ubuntu:24.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
      gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=build /opt/kvssink/package.json /opt/kvssink/package.json
COPY --from=build /opt/kvssink/node_modules /opt/kvssink/node_modules
COPY --from=build /opt/kvssink/dist /opt/kvssink/dist
COPY --from=build /opt/kvssink/build/Release/kvssink_ring.node /opt/kvssink/build/Release/kvssink_ring.node
COPY --from=build /opt/kvssink/build-gst/libgstkvssink.so /opt/kvssink/build-gst/libgstkvssink.so
ENV GST_PLUGIN_PATH=/opt/kvssink/build-gst
# The local KVS endpoint is in the image too: kvssink-local --port 4567
RUN ln -s /opt/kvssink/dist/local/cli.js /usr/local/bin/kvssink-local \
    && gst-inspect-1.0 kvssink >/dev/null
CMD ["gst-inspect-1.0", "kvssink"]
