#!/usr/bin/env bash
# `make vendor`: refresh the self-hosted front-end assets from the npm registry.
#
# The results are committed: the site never needs npm (or any network) at run time.
# - Sarabun (SIL Open Font License 1.1), Thai and Latin subsets, weights 400/600/700,
#   woff2 only, into static/fonts/sarabun/ with its LICENSE. The @font-face rules with
#   their unicode-range live in static/css/site.css.
# - Leaflet (BSD-2-Clause), the built leaflet.js (with its source map), leaflet.css and images, into
#   static/vendor/leaflet/ with its LICENSE (the venue map; static/js/venue-map.js).
# htmx is not vendored here: django-htmx ships htmx 2 and `{% htmx_script %}` serves it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SARABUN_VERSION="5.3.0"
LEAFLET_VERSION="1.9.4"
WEIGHTS=(400 600 700)
SUBSETS=(thai latin)

command -v npm >/dev/null || { echo "vendor.sh: npm is needed (apt-get install npm)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm pack --silent "@fontsource/sarabun@${SARABUN_VERSION}" >/dev/null)
tar -xzf "$TMP"/fontsource-sarabun-"${SARABUN_VERSION}".tgz -C "$TMP"

DEST="$ROOT/static/fonts/sarabun"
rm -rf "$DEST"
mkdir -p "$DEST"
for subset in "${SUBSETS[@]}"; do
  for weight in "${WEIGHTS[@]}"; do
    cp "$TMP/package/files/sarabun-${subset}-${weight}-normal.woff2" "$DEST/"
  done
done
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
printf '@fontsource/sarabun %s (npm), Thai and Latin subsets, weights %s, woff2.\n' \
  "$SARABUN_VERSION" "${WEIGHTS[*]}" >"$DEST/VERSION"

echo "vendor.sh: Sarabun ${SARABUN_VERSION} -> ${DEST#"$ROOT"/}"
ls -1 "$DEST"

(cd "$TMP" && npm pack --silent "leaflet@${LEAFLET_VERSION}" >/dev/null)
mkdir -p "$TMP/leaflet"
tar -xzf "$TMP"/leaflet-"${LEAFLET_VERSION}".tgz -C "$TMP/leaflet"
LEAFLET_DEST="$ROOT/static/vendor/leaflet"
rm -rf "$LEAFLET_DEST"
mkdir -p "$LEAFLET_DEST/images"
# leaflet.js names its source map; collectstatic's manifest storage needs the file to exist.
cp "$TMP/leaflet/package/dist/leaflet.js" "$TMP/leaflet/package/dist/leaflet.js.map" \
  "$TMP/leaflet/package/dist/leaflet.css" "$LEAFLET_DEST/"
cp "$TMP/leaflet/package/dist/images/"*.png "$LEAFLET_DEST/images/"
cp "$TMP/leaflet/package/LICENSE" "$LEAFLET_DEST/LICENSE"
printf 'leaflet %s (npm), dist/leaflet.js (+ .map), leaflet.css and images.\n' "$LEAFLET_VERSION" >"$LEAFLET_DEST/VERSION"

echo "vendor.sh: Leaflet ${LEAFLET_VERSION} -> ${LEAFLET_DEST#"$ROOT"/}"
ls -1 "$LEAFLET_DEST"
