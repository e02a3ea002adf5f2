# kvssink on Ubuntu 24.04 (x86_64 or arm64).
#   docker build -f docker/ubuntu.Dockerfile -t kvssink .
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION kvssink \
#     gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency bframes=0 key-int-max=30 ! \
#     video/x-h264,stream-format=avc,alignment=au,profile=baseline ! kvssink stream-name=cam1
# The same steps as docker/raspberry-pi.Dockerfile (proved by scripts/check-arm64 and, for the
# package on amd64, scripts/check-deb) on Ubuntu: its nodejs is 18.x, so Node.js comes as a
# nodejs package made from the official binary; kvssink is built as a .deb and installed by apt.
ARG BASE=ubuntu:24.04

FROM node:20-bookworm-slim AS nodejs-deb
WORKDIR /src
COPY scripts/package-nodejs-deb scripts/
RUN bash scripts/package-nodejs-deb --out /debs

FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY --from=nodejs-deb /debs /debs
COPY scripts/debian-packages scripts/debian-packages.txt scripts/
RUN apt-get update && apt-get install -y --no-install-recommends /debs/nodejs_*.deb \
      $(scripts/debian-packages build) \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json binding.gyp CMakeLists.txt tsconfig.json ./
COPY native native
RUN npm_config_nodedir=/usr npm ci --no-audit --no-fund
COPY src src
COPY README.md ./
COPY scripts scripts
RUN bash scripts/package-deb --out /debs

FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /debs /debs
COPY scripts/debian-packages scripts/debian-packages.txt /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends /debs/*.deb \
      $(/tmp/debian-packages runtime examples) \
    && rm -rf /var/lib/apt/lists/* /debs /tmp/debian-packages* \
    && gst-inspect-1.0 kvssink >/dev/null
CMD ["gst-inspect-1.0", "kvssink"]
