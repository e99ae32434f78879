#!/usr/bin/env bash
# Runs the desktop app on this machine, on a local profile: profiles live in the user's data
# folder (or $FIELDAPP_HOME), and nothing is sent anywhere until a profile is enrolled.
# Sets up .venv first if it is missing.
#   --demo   also start a demo central endpoint on https://127.0.0.1:8443 (stopped when the
#            app closes) and print the enrolment code and certificate file to enrol with.
# Other arguments go to the app (--home DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || ./scripts/setup-dev.sh

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}${QT_QPA_PLATFORM:-}" ] && [ "$(uname)" = Linux ]; then
  if command -v xvfb-run >/dev/null 2>&1; then
    exec xvfb-run -a "$0" "$@"
  fi
  echo "No display: run this on a desktop, or install xvfb (apt-get install xvfb) to run it" \
       "on a virtual screen." >&2
  exit 1
fi

args=()
demo=0
for arg in "$@"; do
  if [ "$arg" = --demo ]; then demo=1; else args+=("$arg"); fi
done

if [ "$demo" = 1 ]; then
  IFS=$'\t' read -r database cert key ca code < <(.venv/bin/python scripts/demo-central.py)
  .venv/bin/python -m central serve --database "$database" --host 127.0.0.1 --port 8443 \
    --certfile "$cert" --keyfile "$key" >.demo/central.log 2>&1 &
  central_pid=$!
  trap 'kill "$central_pid" 2>/dev/null || true' EXIT
  # Every *Name* below is a label or button in the app, word for word (tests/ui/test_demo.py).
  cat <<MSG
Demo central endpoint: https://127.0.0.1:8443   (log: .demo/central.log)

In the app window that opens:
  1. *New profile*: in *Profile name* type 1234 (the demo officer's collar number; the
     endpoint knows that officer). Choose a passphrase of 12 characters or more (three or
     four unrelated words), type it in *Passphrase* and again in *Repeat it*, press Enter.
  2. *Connect to the central system*: in *Central system address* type
       https://127.0.0.1:8443
     in *Enrolment code* type
       $code
     in *Force certificate* type (or *Choose…*)
       $ca
     then press Enter (*Enrol this laptop*).
  3. At the door: Ctrl+N records a new occurrence; Ctrl+S saves each form and opens the
     next (leaflets, household, VCAS offer); Alt+P, Alt+C and Alt+U add a partner, a child
     and the person under investigation; Enter confirms the check before saving. F5 syncs.
Next time, choose profile 1234 and type your passphrase (each --demo run prints a fresh
enrolment code, for a second profile or laptop).
MSG
fi
.venv/bin/python -m fieldapp ${args[@]+"${args[@]}"}
