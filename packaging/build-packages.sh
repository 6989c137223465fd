#!/usr/bin/env bash
# Builds the .deb and the .rpm of onekvm-remotes from nfpm.yaml and the staged
# tree. nfpm when it is installed; otherwise the same metadata and contents go
# through Debian's dpkg-deb and, where it exists, rpmbuild (nfpm_fallback.py).
# usage: build-packages.sh <repository root> <dist dir>   (VERSION in the environment)
set -euo pipefail

ROOT=$1
DIST=$2
: "${VERSION:?VERSION must be set}"
OUT="$DIST/package"
mkdir -p "$OUT"
rm -f "$OUT"/*.deb "$OUT"/*.rpm

# the Debian changelog every binary package carries (lintian: no-changelog)
sed "s/@VERSION@/$VERSION/" "$ROOT/packaging/changelog" | gzip -9n > "$OUT/changelog.Debian.gz"

cd "$ROOT"
if command -v nfpm >/dev/null 2>&1; then
  echo "==> packaging with nfpm" >&2
  VERSION=$VERSION nfpm package --config nfpm.yaml --packager deb --target "$OUT/"
  VERSION=$VERSION nfpm package --config nfpm.yaml --packager rpm --target "$OUT/"
else
  echo "==> nfpm not found: packaging with dpkg-deb (and rpmbuild when present) from nfpm.yaml" >&2
  python3 -I -S -B "$ROOT/packaging/nfpm_fallback.py" --config nfpm.yaml --version "$VERSION" --out "$OUT"
fi
ls -l "$OUT"/*.deb "$OUT"/*.rpm 2>/dev/null >&2 || true
