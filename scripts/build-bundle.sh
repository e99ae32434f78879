#!/usr/bin/env bash
# Builds the laptop app as a one-folder bundle in dist/fieldapp/ (PyInstaller, with
# packaging/fieldapp.spec), then checks it runs: a smoke test on a throwaway profile, headless.
# Install it on a laptop with: sudo dist/fieldapp/share/install.sh (see docs/admin-guide.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pyinstaller ] || ./scripts/setup-dev.sh
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/fieldapp.spec

smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
# A throwaway passphrase for a throwaway profile, given the way --smoke-test reads it.
head -c 24 /dev/urandom | base64 | QT_QPA_PLATFORM=offscreen dist/fieldapp/fieldapp --smoke-test --home "$smoke"
echo "Built dist/fieldapp/ ($(du -sh dist/fieldapp | cut -f1))."
