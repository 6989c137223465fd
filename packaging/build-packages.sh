#!/usr/bin/env bash
# Builds the .deb (dpkg-deb) and the .rpm (rpmbuild) of onekvm-remotes from the staged
# tree. What goes into the remotes tree, and which of upstream's files are moved aside,
# comes from the action table: `onekvm layout --manifest` (binary/entry/retired PATH).
# usage: build-packages.sh <repository root> <dist dir> [<output dir>]   (VERSION in the environment)
# <dist dir> holds remotes/ as ./build.sh stages it; the output dir defaults to <dist dir>/package.
set -euo pipefail

ROOT=$1
DIST=$2
OUT=${3:-$DIST/package}
: "${VERSION:?VERSION must be set}"
NAME=onekvm-remotes
RELEASE=1
REMOTES=/var/lib/one/remotes
DOC=/usr/share/doc/$NAME
MAINTAINER="OneKvm.Remotes developers <onekvm-remotes@lists.example.org>"
HOMEPAGE=https://example.org/onekvm-remotes
SUMMARY="OpenNebula KVM driver actions in one native binary"
DESCRIPTION="onekvm replaces the bash and Ruby scripts of OpenNebula's KVM driver
remotes (deploy, shutdown, save, restore, hot-plug, monitoring probes) with
one Native AOT multicall binary. Each action is a 1 KB entry program in the
remotes tree, so that onehost sync copies the binary to each host once."
BINARY="$DIST/remotes/vmm/kvm/onekvm"

mkdir -p "$OUT"
rm -f "$OUT"/*.deb "$OUT"/*.rpm
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BINARY" layout --manifest > "$WORK/manifest"
# the man pages, from the action table and the kvmrc parameter table
"$BINARY" man "$WORK/man"
paths() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/manifest"; }
# the list the maintainer scripts work through: every entry, then upstream's retired files
DIVERTED=$( (paths entry; paths retired) )
# the entry program every entry is a copy of
ENTRY_PROGRAM="$DIST/remotes/$(paths entry | head -n1)"

# fill @DIVERTED@, @ENTRIES@ and @RETIRED@ of a maintainer script template
script() {
  awk -v diverted="$DIVERTED" -v entries="$(paths entry)" -v retired="$(paths retired)" '
    /@DIVERTED@/ { print diverted; next }
    /@ENTRIES@/ { print entries; next }
    /@RETIRED@/ { print retired; next }
    { print }' "$ROOT/packaging/scripts/$1"
}

# lay the files both packages share out under $1
stage_common() {
  local tree=$1 path
  install -D -m 0755 "$BINARY" "$tree$REMOTES/$(paths binary)"
  mkdir -p "$tree/usr/bin"
  ln -s "$REMOTES/$(paths binary)" "$tree/usr/bin/onekvm"
  install -D -m 0644 "$ROOT/remotes-layout/etc/vmm/kvm/kvmrc" "$tree$DOC/examples/kvmrc"
  install -D -m 0644 "$ROOT/packaging/copyright" "$tree$DOC/copyright"
  for page in "$WORK"/man/*.[0-9]; do
    mkdir -p "$tree/usr/share/man/man${page##*.}"
    gzip -9n < "$page" > "$tree/usr/share/man/man${page##*.}/${page##*/}.gz"
    chmod 0644 "$tree/usr/share/man/man${page##*.}/${page##*/}.gz"
  done
}

build_deb() {
  local tree="$WORK/deb" path
  stage_common "$tree"
  for path in $(paths entry); do
    install -D -m 0755 "$DIST/remotes/$path" "$tree$REMOTES/$path"
  done
  # the Debian changelog every binary package carries (lintian: no-changelog)
  sed "s/@VERSION@/$VERSION/" "$ROOT/packaging/changelog" | gzip -9n > "$tree$DOC/changelog.Debian.gz"
  install -D -m 0644 "$ROOT/packaging/lintian-overrides" "$tree/usr/share/lintian/overrides/$NAME"
  mkdir -p "$tree/DEBIAN"
  for s in preinst postrm; do
    script "$s" > "$tree/DEBIAN/$s"
    chmod 0755 "$tree/DEBIAN/$s"
  done
  (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum) > "$tree/DEBIAN/md5sums"
  {
    echo "Package: $NAME"
    echo "Version: $VERSION-$RELEASE"
    echo "Architecture: amd64"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
    # the AOT binary links libc and libm only (GLIBC_2.34 is the newest symbol it uses)
    echo "Depends: libc6 (>= 2.34), libvirt-clients"
    echo "Recommends: qemu-utils"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: $HOMEPAGE"
    echo "Description: $SUMMARY"
    sed 's/^/ /' <<< "$DESCRIPTION"
  } > "$tree/DEBIAN/control"
  chmod 0644 "$tree/DEBIAN/control" "$tree/DEBIAN/md5sums"
  find "$tree" -type d -exec chmod 0755 {} +
  dpkg-deb --root-owner-group -Zxz --build "$tree" "$OUT/${NAME}_$VERSION-${RELEASE}_amd64.deb" >/dev/null
}

# rpm has no diversions: the entries are %ghost files (owned, never unpacked, so no conflict
# with the opennebula package's files of the same path) that the scriptlets copy from the
# one entry program; packaging/scripts/rpm-tree does what preinst/postrm do for the deb.
build_rpm() {
  if ! command -v rpmbuild >/dev/null 2>&1; then
    echo "rpmbuild not found: no .rpm built" >&2
    return
  fi
  local tree="$WORK/rpm" path scriptlet
  stage_common "$tree"
  install -D -m 0755 "$ENTRY_PROGRAM" "$tree/usr/lib/$NAME/onekvm-entry"
  scriptlet=$(script rpm-tree)
  {
    echo "Name: $NAME"
    echo "Version: $VERSION"
    echo "Release: $RELEASE"
    echo "Summary: $SUMMARY"
    echo "License: Apache-2.0"
    echo "URL: $HOMEPAGE"
    echo "Vendor: OneKvm.Remotes"
    echo "Packager: $MAINTAINER"
    echo "BuildArch: x86_64"
    echo "AutoReqProv: no"
    echo "Requires: glibc >= 2.34"
    echo "Requires: libvirt-client"
    printf '\n%%description\n%s\n\n' "$DESCRIPTION"
    printf '%%install\ncp -a %s/. %%{buildroot}/\n\n' "$tree"
    # $1 of %post/%postun: instances of onekvm-remotes after the step; of a trigger, $2 is opennebula's
    printf '%%post\n%s\ntake_over\n\n' "$scriptlet"
    printf '%%postun\n%s\n[ "$1" -gt 0 ] || give_back\n\n' "$scriptlet"
    printf '%%triggerin -- opennebula\n%s\ntake_over\n\n' "$scriptlet"
    printf '%%triggerpostun -- opennebula\n%s\n[ "$2" -gt 0 ] || upstream_gone\n\n' "$scriptlet"
    echo "%files"
    (cd "$tree" && find . ! -type d -printf '%P\n' | LC_ALL=C sort) | while read -r path; do
      if [ -L "$tree/$path" ]; then echo "/$path"; else echo "%attr($(stat -c %a "$tree/$path"), root, root) /$path"; fi
    done
    for path in $(paths entry); do
      echo "%ghost %attr(0755, root, root) $REMOTES/$path"
    done
  } > "$WORK/package.spec"
  # the files go in as staged: no brp script strips, compresses or re-modes them
  rpmbuild -bb --quiet --define "_topdir $WORK/top" --define "_build_id_links none" \
    --define "__os_install_post %{nil}" "$WORK/package.spec" >/dev/null
  find "$WORK/top/RPMS" -name '*.rpm' -exec cp {} "$OUT/" \;
}

build_deb
build_rpm
ls -l "$OUT"/*.deb "$OUT"/*.rpm 2>/dev/null >&2 || true
