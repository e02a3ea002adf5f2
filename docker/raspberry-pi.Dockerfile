# kvssink for Raspberry Pi (64-bit and 32-bit Raspberry Pi OS, i.e. Debian bookworm).
#   docker buildx build --platform linux/arm64,linux/arm/v7 -f docker/raspberry-pi.Dockerfile -t kvssink:rpi .
#   docker run --rm --device /dev/video0 -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION kvssink:rpi \
#     gst-launch-1.0 -e v4l2src device=/dev/video0 ! videoconvert ! video/x-raw,width=640,height=480,framerate=30/1 ! \
#     v4l2h264enc extra-controls="controls,repeat_sequence_header=1" ! 'video/x-h264,level=(string)4' ! h264parse ! \
#     video/x-h264,stream-format=avc,alignment=au ! kvssink stream-name=cam1
# Builds natively on the Pi, or under QEMU with buildx; nothing is cross-compiled by hand.

FROM node:20-bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools \
      cmake pkg-config build-essential python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/kvssink
COPY package.json package-lock.json binding.gyp CMakeLists.txt tsconfig.json ./
COPY native native
RUN npm ci --no-audit --no-fund
COPY src src
COPY README.md ./
COPY scripts scripts
RUN bash scripts/build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# plugins-good has v4l2src and the Pi's v4l2h264enc hardware encoder.
RUN apt-get update && apt-get install -y --no-install-recommends \
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
      gstreamer1.0-plugins-bad ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/kvssink/package.json /opt/kvssink/package.json
COPY --from=build /opt/kvssink/node_modules /opt/kvssink/node_modules
COPY --from=build /opt/kvssink/dist /opt/kvssink/dist
COPY --from=build /opt/kvssink/build/Release/kvssink_ring.node /opt/kvssink/build/Release/kvssink_ring.node
COPY --from=build /opt/kvssink/build-gst/libgstkvssink.so /opt/kvssink/build-gst/libgstkvssink.so
ENV GST_PLUGIN_PATH=/opt/kvssink/build-gst
RUN ln -s /opt/kvssink/dist/local/cli.js /usr/local/bin/kvssink-local \
    && gst-inspect-1.0 kvssink >/dev/null
CMD ["gst-inspect-1.0", "kvssink"]
