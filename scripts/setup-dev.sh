#!/usr/bin/env bash
# Sets up a fresh machine for running and testing fieldapp: the system libraries Qt needs,
# PostgreSQL (its tests start a throwaway cluster), Xvfb, openbox and xdotool (the
# real-window tests), and .venv with the app, the endpoint and
# the test tools, all pinned in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
  || missing+=(postgresql)
# The real-window tests (tests/window): a virtual X display at a laptop's size, a window
# manager, xdotool to type, ImageMagick's `import` for the screenshot, xprop/xwininfo.
for tool in Xvfb:xvfb openbox:openbox xdotool:xdotool import:imagemagick xwininfo:x11-utils; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
for lib in libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 \
           libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libglib2.0-0 poppler-utils; do
  dpkg -s "$lib" >/dev/null 2>&1 || missing+=("$lib")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Install these system packages first (as root): ${missing[*]}" >&2
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[central,dev]"
