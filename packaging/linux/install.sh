#!/bin/sh
# Installs a built bundle for every user of this laptop: the program in /opt/fieldapp, its
# entry in the applications menu, and its icon. Run as root, from the bundle:
#     sudo dist/fieldapp/share/install.sh
# Installing again replaces the program; profiles (in each user's own data folder) are kept.
# DESTDIR=/some/dir installs under that folder instead of / (for a package build or a test).
set -eu
bundle=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bundle/fieldapp" ] || { echo "install.sh: run it from a built bundle (dist/fieldapp/share/)" >&2; exit 1; }
dest=${DESTDIR:-}
target="$dest/opt/fieldapp"

# Copied under a temporary name and swapped in, so a failed copy leaves the old install whole.
mkdir -p "$dest/opt"
rm -rf "$target.new"
cp -a "$bundle" "$target.new"
rm -rf "$target.old"
[ -e "$target" ] && mv "$target" "$target.old"
mv "$target.new" "$target"
rm -rf "$target.old"
chmod -R u=rwX,go=rX "$target"

mkdir -p "$dest/usr/share/applications"
cp "$bundle/share/applications/fieldapp.desktop" "$dest/usr/share/applications/"
for icon in "$bundle"/share/icons/hicolor/*/apps/fieldapp.*; do
  size=$(basename "$(dirname "$(dirname "$icon")")")
  mkdir -p "$dest/usr/share/icons/hicolor/$size/apps"
  cp "$icon" "$dest/usr/share/icons/hicolor/$size/apps/"
done

# Desktops read the menu and icon caches; refresh them where the tools exist.
if [ -z "$dest" ]; then
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
echo "fieldapp installed in $target"
