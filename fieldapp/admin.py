"""`fieldapp admin`: what IT support does with a profile, from a terminal.

    fieldapp admin profiles
    fieldapp admin export --profile NAME --out FILE [--format sqlite|jsonl] [--passphrase-stdin]
    fieldapp admin recover --profile NAME --private-key FILE [--passphrase-stdin]
    fieldapp admin add-recovery-key --profile NAME [--public-key FILE] [--passphrase-stdin]
    fieldapp admin resend --profile NAME [--passphrase-stdin]
    fieldapp admin enrol --profile NAME --url URL --device-name NAME [--ca-file FILE]
                         [--passphrase-stdin]

Secrets are asked for with getpass (never echoed) or read from standard input, one per line,
with --passphrase-stdin; never from the command line, where other users could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from fieldapp.resources import recovery_public_key
from fieldapp.store import Profiles, StoreError
from fieldapp.sync.client import enrol
from fieldapp.sync.protocol import SyncError
from fieldapp.sync.transport import InsecureEndpoint

_EXPORT_WARNING = (
    "The backup is NOT encrypted: anyone who can read it sees every record. Keep it on an "
    "encrypted drive and delete it when it is no longer needed."
)


def _now() -> datetime:
    return datetime.now(UTC)


class _Secrets:
    """Reads secrets from getpass, or one per line from stdin."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin

    def ask(self, prompt: str, *, confirm: bool = False) -> str:
        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise StoreError("Standard input ended before the passphrase was given.")
            return line.removesuffix("\n").removesuffix("\r")
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("Type it again: ") != value:
            raise StoreError("The two passphrases are not the same. Nothing was changed.")
        return value


def _profiles(args: argparse.Namespace) -> Profiles:
    return Profiles(_now, args.home)


def _list(args: argparse.Namespace, secrets: _Secrets) -> int:
    for name in _profiles(args).names():
        print(name)
    return 0


def _export(args: argparse.Namespace, secrets: _Secrets) -> int:
    out: Path = args.out
    if out.exists():
        raise StoreError("There is already a file with that name. Choose another name.")
    profiles = _profiles(args)
    profiles.path(args.profile)  # a bad name is refused before the passphrase is asked
    passphrase = secrets.ask(f"Passphrase of profile {args.profile}: ")
    with profiles.unlock(args.profile, passphrase) as store:
        store.export(out, args.format)
    print(f"Decrypted backup written to {out}.")
    print(_EXPORT_WARNING, file=sys.stderr)
    return 0


def _recover(args: argparse.Namespace, secrets: _Secrets) -> int:
    try:
        pem = Path(args.private_key).read_bytes()
    except OSError as error:
        raise StoreError("The recovery key file cannot be read.") from error
    profiles = _profiles(args)
    password = None
    if b"ENCRYPTED" in pem:
        password = secrets.ask("Password of the recovery key: ").encode()
    new = secrets.ask(f"New passphrase for profile {args.profile}: ", confirm=True)
    profiles.recover(args.profile, pem, new, private_key_password=password)
    print(f"Profile {args.profile} has a new passphrase. Give it to the officer in person.")
    return 0


def _add_recovery_key(args: argparse.Namespace, secrets: _Secrets) -> int:
    try:
        pem = Path(args.public_key).read_bytes() if args.public_key else recovery_public_key()
    except OSError as error:
        raise StoreError("The recovery public key file cannot be read.") from error
    if pem is None:
        raise StoreError("No recovery public key is installed: give one with --public-key.")
    profiles = _profiles(args)
    profiles.path(args.profile)
    passphrase = secrets.ask(f"Passphrase of profile {args.profile}: ")
    key_id = profiles.set_recovery_key(args.profile, passphrase, pem)
    print(f"Profile {args.profile} can now be recovered with the recovery key {key_id}.")
    return 0


def _resend(args: argparse.Namespace, secrets: _Secrets) -> int:
    profiles = _profiles(args)
    profiles.path(args.profile)
    passphrase = secrets.ask(f"Passphrase of profile {args.profile}: ")
    with profiles.unlock(args.profile, passphrase) as store:
        moved = store.send_all_again()
    print(f"{moved} records of profile {args.profile} will be sent again at the next sync.")
    return 0


def _enrol(args: argparse.Namespace, secrets: _Secrets) -> int:
    """Enrols a profile (again): after an endpoint restore that lost this laptop's enrolment,
    or a revocation made by mistake. The app offers enrolment only to a profile never enrolled."""
    ca_file = str(Path(args.ca_file).resolve()) if args.ca_file else None
    if ca_file and not Path(ca_file).is_file():
        raise StoreError("The certificate file cannot be found.")
    pin = _pin(args.pin_sha256) if args.pin_sha256 else None
    profiles = _profiles(args)
    profiles.path(args.profile)
    passphrase = secrets.ask(f"Passphrase of profile {args.profile}: ")
    code = secrets.ask("Enrolment code: ")
    with profiles.unlock(args.profile, passphrase) as store:
        enrolment = enrol(store, args.url, code, args.device_name, ca_bundle=ca_file,
                          pin_sha256=pin)
    print(f"Profile {args.profile} is enrolled as device {enrolment.device_id} "
          f"for officer {enrolment.officer.get('collar', '?')}.")
    return 0


def _pin(text: str) -> str:
    """A SHA-256 fingerprint as openssl prints it (AB:CD:...) or as plain hex."""
    digits = text.replace(":", "").strip().lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise StoreError("The certificate pin is 64 hexadecimal digits (a SHA-256 fingerprint).")
    return digits


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldapp admin", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", type=Path, default=None,
        help="folder holding profiles/ (default: $FIELDAPP_HOME, else the OS per-user folder)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("profiles", help="list the profiles on this laptop").set_defaults(run=_list)

    export = sub.add_parser("export", help="write a decrypted backup of a profile")
    export.add_argument("--profile", required=True)
    export.add_argument("--out", required=True, type=Path, help="a new file to write")
    export.add_argument(
        "--format", choices=("sqlite", "jsonl"), default="sqlite",
        help="sqlite: the whole database, plain SQLite; jsonl: the event log, one per line",
    )
    export.add_argument("--passphrase-stdin", action="store_true",
                        help="read the passphrase from the first line of standard input")
    export.set_defaults(run=_export)

    recover = sub.add_parser(
        "recover", help="set a new passphrase with the force's recovery private key"
    )
    recover.add_argument("--profile", required=True)
    recover.add_argument("--private-key", required=True, help="PEM file of the X25519 key")
    recover.add_argument(
        "--passphrase-stdin", action="store_true",
        help="read secrets from standard input, one per line (key password first, if any)",
    )
    recover.set_defaults(run=_recover)

    add_key = sub.add_parser(
        "add-recovery-key",
        help="give a profile made before the force's recovery key was installed a copy for it",
    )
    add_key.add_argument("--profile", required=True)
    add_key.add_argument("--public-key", default=None,
                         help="PEM file (default: the one installed with the app)")
    add_key.add_argument("--passphrase-stdin", action="store_true",
                         help="read the passphrase from the first line of standard input")
    add_key.set_defaults(run=_add_recovery_key)

    resend = sub.add_parser(
        "resend", help="send every record again at the next sync (after an endpoint restore)"
    )
    resend.add_argument("--profile", required=True)
    resend.add_argument("--passphrase-stdin", action="store_true",
                        help="read the passphrase from the first line of standard input")
    resend.set_defaults(run=_resend)

    enrol_profile = sub.add_parser(
        "enrol", help="enrol a profile with the central endpoint again (a new one-time code)"
    )
    enrol_profile.add_argument("--profile", required=True)
    enrol_profile.add_argument("--url", required=True, help="https:// address of the endpoint")
    enrol_profile.add_argument("--device-name", required=True, help="how IT will see the laptop")
    enrol_profile.add_argument("--ca-file", default=None,
                               help="the force's CA certificate (PEM), if not in the OS store")
    enrol_profile.add_argument(
        "--pin-sha256", default=None,
        help="pin the endpoint's certificate: its SHA-256 fingerprint "
        "(openssl x509 -noout -fingerprint -sha256)",
    )
    enrol_profile.add_argument(
        "--passphrase-stdin", action="store_true",
        help="read the passphrase, then the enrolment code, from standard input, one per line",
    )
    enrol_profile.set_defaults(run=_enrol)
    return parser


def admin_main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace, _Secrets], int] = args.run
    try:
        return run(args, _Secrets(getattr(args, "passphrase_stdin", False)))
    except StoreError as error:
        print(f"fieldapp admin: {error}", file=sys.stderr)
        return 1
    except SyncError as error:
        print(f"fieldapp admin: {error.message}", file=sys.stderr)
        return 1
    except InsecureEndpoint as error:
        print(f"fieldapp admin: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("fieldapp admin: cancelled; nothing was changed.", file=sys.stderr)
        return 1
