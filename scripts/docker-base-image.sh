#!/usr/bin/env bash
# Builds the base image the Dockerfile starts from (rehearsal-node:20 by default):
# this machine's Node.js and npm with the shared libraries they load, a POSIX
# shell, the host's CA certificates and npm configuration, and an unprivileged
# user. No image registry is reachable here, so the image is assembled from the
# host with `docker import` instead of pulled.
#
# The images are built from the repository's installed node_modules (the base
# image has no compiler for better-sqlite3): on a fresh clone this installs them
# first (npm ci, through scripts/ensure-install.mjs).
set -euo pipefail
tag="${1:-rehearsal-node:20}"
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
sh_bin="$(readlink -f /bin/sh)"
env_bin="$(readlink -f /usr/bin/env)"

repo="$(cd "$(dirname "$0")/.." && pwd)"
node "$repo/scripts/ensure-install.mjs"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/bin,usr/lib/node_modules,bin,etc,tmp,data,app}
chmod 1777 "$root/tmp"

cp "$node_bin" "$root/usr/bin/node"
cp -r "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
cp "$sh_bin" "$root/bin/sh"
cp "$env_bin" "$root/usr/bin/env"

# Every library node, the shell, env (npm's shebang) and a C++ addon (better-sqlite3) load, at the paths the loader expects.
for lib in $( { ldd "$node_bin"; ldd "$sh_bin"; ldd "$env_bin"; } | grep -oE '/[^ ]+\.so[^ ]*' | sort -u) /lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1; do
  [ -e "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# The host's CA certificates and npm configuration: npm inside a build trusts what npm here trusts
# (a registry behind a TLS-inspecting proxy answers with the proxy's certificate).
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
globalrc="$(npm config get globalconfig 2>/dev/null || true)"
if [ -n "$globalrc" ] && [ -f "$globalrc" ]; then
  mkdir -p "$root/usr/etc"
  cp "$globalrc" "$root/usr/etc/npmrc"
fi
# Name resolution for localhost, and the unprivileged user the services run as.
cp /etc/nsswitch.conf "$root/etc/" 2>/dev/null || echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/bin/sh\nrehearsal:x:10001:10001:rehearsal:/app:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nrehearsal:x:10001:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'WORKDIR /app' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "built $tag from $node_bin ($(node --version))"
