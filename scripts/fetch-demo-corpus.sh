#!/usr/bin/env bash
# Fetches the demo corpus: the Korean LibreOffice help (Debian package libreoffice-help-ko, ~2,500 HTML
# pages), unpacks it under DEST_DIR and prints the folder that holds the HTML pages (stdout, one line).
# Nothing is fetched from anywhere but Debian's apt archive. Re-running reuses the downloaded .deb and the
# unpacked tree. Works as root or as a user (apt-get download needs no root once `apt-get update` has run).
#
#   pages=$(bash scripts/fetch-demo-corpus.sh demo-output/demo-corpus)
#   build/bertforge corpus prepare --input "$pages" --output corpus.txt --require-script hangul
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DEST_DIR" >&2
  exit 2
fi
DEST=$(mkdir -p "$1" && cd "$1" && pwd)
PKG=libreoffice-help-ko
CACHE="$DEST/deb"
UNPACKED="$DEST/unpacked"
PAGES_REL=usr/share/libreoffice/help/ko/text  # help pages; ko/ itself holds only JS indexes and a no-JS notice
mkdir -p "$CACHE"

deb=$(ls "$CACHE"/${PKG}_*.deb 2>/dev/null | head -n1 || true)
if [[ -z "$deb" ]]; then
  echo "fetch-demo-corpus: downloading $PKG with apt-get download" >&2
  # As root, apt's download sandbox user (_apt) may not be able to write here; root then downloads itself.
  sandbox=()
  [[ $(id -u) -eq 0 ]] && sandbox=(-o APT::Sandbox::User=root)
  download() { (cd "$CACHE" && apt-get "${sandbox[@]}" download "$PKG") >&2; }
  if ! download; then
    if [[ $(id -u) -eq 0 ]]; then
      echo "fetch-demo-corpus: refreshing the package lists (apt-get update) and retrying" >&2
      apt-get update >&2
      download
    else
      echo "fetch-demo-corpus: apt-get download $PKG failed; run 'sudo apt-get update' and retry" >&2
      exit 1
    fi
  fi
  deb=$(ls "$CACHE"/${PKG}_*.deb | head -n1)
else
  echo "fetch-demo-corpus: using cached $(basename "$deb")" >&2
fi

stamp="$UNPACKED/.unpacked-from"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$(basename "$deb")" ]]; then
  # Unpack beside the target and rename, so an interrupted run never leaves a half tree that looks done.
  tmp="$UNPACKED.tmp-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  dpkg-deb -x "$deb" "$tmp"
  basename "$deb" >"$tmp/.unpacked-from"
  rm -rf "$UNPACKED"
  mv "$tmp" "$UNPACKED"
fi

PAGES="$UNPACKED/$PAGES_REL"
count=$(find "$PAGES" -name '*.html' | wc -l)
if [[ "$count" -eq 0 ]]; then
  echo "fetch-demo-corpus: no HTML pages under $PAGES; the package layout changed?" >&2
  exit 1
fi
echo "fetch-demo-corpus: $count HTML pages ($(du -sh "$PAGES" | cut -f1)) in $PAGES" >&2
echo "$PAGES"
