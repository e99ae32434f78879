#!/usr/bin/env bash
# Runs the desktop app on this machine, offline: profiles live in the user's data folder
# (or $FIELDAPP_HOME), and nothing is sent anywhere until a profile is enrolled.
# Sets up .venv first if it is missing. Extra arguments go to the app (--home DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || ./scripts/setup-dev.sh
exec .venv/bin/python -m fieldapp "$@"
