#!/usr/bin/env bash
# Builds the memberlist driver offline from Debian's Go sources and prints the
# binary's path on stdout. The binary is cached under a key made of the
# driver's sources, this script, the Go version and memberlist's sources; an
# existing binary is reused without building.
#
#   GOSSIP_HARNESS_CACHE  cache root (default: $HOME/.cache/gossip-harness)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gopath=/usr/share/gocode
memberlist="$gopath/src/github.com/hashicorp/memberlist"
install_hint="install with: sudo apt-get install -y golang-go golang-github-hashicorp-memberlist-dev"

if ! command -v go >/dev/null 2>&1; then
  echo "memberlist driver: Go is missing; $install_hint" >&2
  exit 3
fi
if [[ ! -f "$memberlist/memberlist.go" ]]; then
  echo "memberlist driver: memberlist sources are missing from $memberlist; $install_hint" >&2
  exit 3
fi

key="$(
  {
    go version
    cd "$here" && sha256sum build.sh ./*.go
    cd "$memberlist" && sha256sum ./*.go
  } | sha256sum | cut -c1-16
)"
root="${GOSSIP_HARNESS_CACHE:-$HOME/.cache/gossip-harness}"
dir="$root/memberlist-$key"
binary="$dir/memberlist-driver"

if [[ ! -x "$binary" ]]; then
  mkdir -p "$dir"
  tmp="$(mktemp "$dir/.build.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  # Debian's packages are GOPATH sources: no modules, no network.
  if ! (cd "$here" && GOPATH="$gopath" GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
    GOCACHE="$root/go-build" go build -o "$tmp" . >&2); then
    echo "memberlist driver: go build failed (see above); if packages are missing, $install_hint" >&2
    exit 1
  fi
  mv -f "$tmp" "$binary" # atomic: concurrent builds each install a whole binary
  trap - EXIT
fi
echo "$binary"
