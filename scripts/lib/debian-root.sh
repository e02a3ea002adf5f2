# Fresh Debian roots for scripts/check-deb and scripts/check-arm64 (sourced; needs root).
# A minbase root per architecture is debootstrapped once into $KVSSINK_ROOT_CACHE
# (/var/cache/kvssink-check); each check copies it, so each starts clean. As
# ../shared/tools/cleanroom-ci does, the copy gets this machine's name resolution, apt
# sources and CA store, and nothing else: no Node.js, no GStreamer.

KVSSINK_ROOT_CACHE=${KVSSINK_ROOT_CACHE:-/var/cache/kvssink-check}
ROOT=""
ROOT_KEEP=${ROOT_KEEP:-0}

debian_mirror() {
  local mirror
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${mirror:-http://deb.debian.org/debian}"
}

# make_root ARCH: sets ROOT to a fresh copy of the cached bookworm minbase root for ARCH.
make_root() {
  local arch=$1 base=$KVSSINK_ROOT_CACHE/bookworm-$1-minbase
  [ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
  command -v debootstrap >/dev/null || {
    apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  if [ ! -x "$base/bin/bash" ]; then
    log "debootstrap: bookworm $arch minbase (once, into $base)"
    mkdir -p "$KVSSINK_ROOT_CACHE"; rm -rf "$base.tmp"
    debootstrap --arch="$arch" --variant=minbase bookworm "$base.tmp" "$(debian_mirror)" \
      > "$KVSSINK_ROOT_CACHE/debootstrap-$arch.log" 2>&1 \
      || { echo "debootstrap failed: see $KVSSINK_ROOT_CACHE/debootstrap-$arch.log" >&2; exit 2; }
    mv "$base.tmp" "$base"
  fi
  ROOT=$(mktemp -d "/tmp/kvssink-$arch-root.XXXXXX")
  trap cleanup_root EXIT
  cp -a "$base/." "$ROOT/"
  cp /etc/hosts /etc/resolv.conf "$ROOT/etc/"
  rm -f "$ROOT/etc/apt/sources.list"; cp -a /etc/apt/sources.list.d/. "$ROOT/etc/apt/sources.list.d/"
  find "$ROOT/etc/apt/sources.list.d" -name '*disabled*' -delete
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$ROOT/etc/apt/"
  mkdir -p "$ROOT/etc/ssl/certs" "$ROOT/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
  cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
  for f in /etc/npmrc /usr/etc/npmrc; do [ -f $f ] && mkdir -p "$ROOT$(dirname $f)" && cp $f "$ROOT$f"; done
  local m
  for m in proc sys dev dev/pts dev/shm; do mount --bind "/$m" "$ROOT/$m"; done
}

cleanup_root() {
  [ -n "$ROOT" ] || return 0
  local m
  for m in dev/shm dev/pts dev sys proc; do umount "$ROOT/$m" 2>/dev/null || true; done
  # Never delete through a bind mount that is still there (it would reach the host's /dev).
  if grep -q " $ROOT/" /proc/mounts; then log "mounts remain under $ROOT: not deleting it"; return 0; fi
  if [ "$ROOT_KEEP" -eq 1 ]; then log "root kept at $ROOT"; else rm -rf "$ROOT"; fi
}

# in_root CMD...: runs a bash command line in the root as root, with a plain environment.
in_root() {
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash -c "$*" </dev/null
}

# as_user USER CMD...: runs a bash command line as USER with no environment variables
# besides what a login gives (HOME, USER, SHELL, PATH from login.defs via su -).
as_user() {
  local user=$1; shift
  chroot "$ROOT" /usr/bin/env -i /bin/su - "$user" -c "$*" </dev/null
}

# The README's local-endpoint check ("Install" section), as USER in the root: starts
# kvssink-local on PORT (the root shares this machine's network), streams FRAMES frames
# through kvssink into it, prints the endpoint's summary and exports the stream to
# ~/my-stream.mkv. Only the endpoint's URL is set.
stream_into_local_endpoint() {
  local user=$1 frames=$2 port=$3
  as_user "$user" "set -e
    kvssink-local --port $port --data-dir ~/kvs-local-data --quiet & server=\$!
    trap 'kill \$server 2>/dev/null || true' EXIT
    for i in \$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
    start=\$(date +%s%N)
    AWS_ENDPOINT_URL_KINESIS_VIDEO=http://127.0.0.1:$port gst-launch-1.0 -e \
      videotestsrc num-buffers=$frames ! x264enc tune=zerolatency key-int-max=30 ! \
      video/x-h264,stream-format=avc,alignment=au ! \
      kvssink stream-name=my-stream aws-region=us-west-2 \
        access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    echo \"pipeline wall time: \$(( (\$(date +%s%N) - start) / 1000000 )) ms\"
    kill \$server; wait \$server 2>/dev/null || true; trap - EXIT
    kvssink-local summary --data-dir ~/kvs-local-data --stream my-stream
    kvssink-local export --data-dir ~/kvs-local-data --stream my-stream --out ~/my-stream.mkv"
}

# ffprobe (this machine's, an independent decoder) counts the video frames of an MKV.
ffprobe_frames() {
  ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of default=noprint_wrappers=1:nokey=1 "$1"
}

# The root's size in MiB, without the mounted /proc, /sys and /dev.
root_mib() { echo $(( $(du -skx "$ROOT" | cut -f1) / 1024 )); }
