#!/bin/sh
# make-deb.sh BIN VERSION OUT.deb: the Debian package of `make deb`, built with
# dpkg-deb alone from a hand-made DEBIAN/ (contrib/debian/): the binary in
# /usr/bin, the unit in /lib/systemd/system, and /etc/opstasks/opstasks.conf
# (a conffile: every option commented at its default, the database in
# /var/lib/opstasks).
set -eu
BIN=$1 VERSION=$2 OUT=$3
ARCH=$(dpkg --print-architecture)
ROOT=$(dirname "$OUT")/deb-root
rm -rf "$ROOT"
mkdir -p "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/lib/systemd/system" "$ROOT/etc/opstasks" \
         "$ROOT/usr/share/doc/opstasks"
install -m 0755 "$BIN" "$ROOT/usr/bin/opstasks"
strip --strip-unneeded "$ROOT/usr/bin/opstasks"
install -m 0644 contrib/opstasks.service "$ROOT/lib/systemd/system/opstasks.service"
install -m 0644 README.md "$ROOT/usr/share/doc/opstasks/README.md"
"$BIN" serve --print-config |
    sed 's|^#db = .*|db = /var/lib/opstasks/opstasks.db|' >"$ROOT/etc/opstasks/opstasks.conf"
chmod 0644 "$ROOT/etc/opstasks/opstasks.conf"
grep -q '^db = /var/lib/opstasks/opstasks.db$' "$ROOT/etc/opstasks/opstasks.conf"
echo /etc/opstasks/opstasks.conf >"$ROOT/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" contrib/debian/control \
    >"$ROOT/DEBIAN/control"
for s in postinst prerm postrm; do install -m 0755 "contrib/debian/$s" "$ROOT/DEBIAN/$s"; done
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT" >/dev/null
rm -rf "$ROOT"
echo "  DEB $OUT"
