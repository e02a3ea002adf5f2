# kvssink for Raspberry Pi OS 64-bit (Debian bookworm arm64); builds for any Debian architecture.
#   docker buildx build --platform linux/arm64 -f docker/raspberry-pi.Dockerfile -t kvssink:rpi .
#   docker run --rm --device /dev/video0 -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION kvssink:rpi \
#     gst-launch-1.0 -e v4l2src device=/dev/video0 ! videoconvert ! video/x-raw,width=640,height=480,framerate=30/1 ! \
#     v4l2h264enc extra-controls="controls,repeat_sequence_header=1" ! 'video/x-h264,level=(string)4' ! h264parse ! \
#     video/x-h264,stream-format=avc,alignment=au ! kvssink stream-name=cam1
# The steps are those scripts/check-arm64 runs (and proves) in a bookworm arm64 root: Node.js as
# a nodejs package made from the official binary (bookworm's own is 18.x), the build packages,
# npm ci, scripts/package-deb, then apt installs the two packages. Builds natively on a Pi or
# under QEMU with buildx; nothing is cross-compiled by hand. 32-bit Raspberry Pi OS: see README.
ARG BASE=debian:bookworm-slim

# Node.js as a Debian package (npm publishes the official binary as node-linux-<arch>).
FROM node:20-bookworm-slim AS nodejs-deb
WORKDIR /src
COPY scripts/package-nodejs-deb scripts/
RUN bash scripts/package-nodejs-deb --out /debs

# The kvssink package, built on the target release and architecture.
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

# The image: both packages installed with apt (kvssink's Depends), plus the runtime plugins
# (its Recommends) and x264enc; the local KVS endpoint is in it too (kvssink-local).
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /debs /debs
COPY scripts/debian-packages scripts/debian-packages.txt /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends /debs/*.deb \
      $(/tmp/debian-packages runtime examples) \
    && rm -rf /var/lib/apt/lists/* /debs /tmp/debian-packages* \
    && gst-inspect-1.0 kvssink >/dev/null
CMD ["gst-inspect-1.0", "kvssink"]
