"""fieldapp-central: run the endpoint, administer officers and laptops, and report figures."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import timedelta

import uvicorn

from central import backup, record_cli, report_cli, retention_cli, security
from central.app import create_app
from central.clock import SystemClock
from central.config import Settings
from central.serving import GuardedH11Protocol
from central.storage import open_storage
from central.storage.base import ROLES, DeviceStatus, Officer, StorageError
from central.storage.sql import SqlStorage
from fieldapp.resources import load_catalogue, load_districts, load_force, load_policy

DATABASE_ENV = "FIELDAPP_CENTRAL_DATABASE"
DEFAULT_DATABASE = "sqlite:///fieldapp-central.db"
# The same rule the event schema applies to an author's collar number.
COLLAR = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")


class UsageError(Exception):
    pass


def _text(value: str, label: str, max_len: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > max_len or any(ord(ch) < 32 for ch in cleaned):
        raise UsageError(f"The {label} must be 1 to {max_len} printable characters.")
    return cleaned


def _collar(value: str) -> str:
    if not COLLAR.match(value):
        raise UsageError("A collar number has letters, digits, - and _ only (at most 32).")
    return value


def _district(value: str) -> str:
    """A supervisor's scope is their district: one of the force's, as the list names it."""
    districts = load_districts()
    listed = districts.match(value)
    if listed is None:
        raise UsageError(districts.refusal(value))
    return listed


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        default=os.environ.get(DATABASE_ENV, DEFAULT_DATABASE),
        help=f"sqlite:///path.db or postgresql://... (default: ${DATABASE_ENV}, "
        f"else {DEFAULT_DATABASE})",
    )
    parser = argparse.ArgumentParser(prog="fieldapp-central", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the HTTP(S) endpoint")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default 8443, or 8080 plain")
    serve.add_argument("--certfile", help="TLS certificate chain (PEM)")
    serve.add_argument("--keyfile", help="TLS private key (PEM)")
    serve.add_argument("--rate", type=float, default=Settings.rate_per_second,
                       help="requests per second per device, sustained")
    serve.add_argument("--burst", type=int, default=Settings.rate_burst,
                       help="requests a device may make at once before --rate applies")
    serve.add_argument("--forwarded-allow-ips", default=None,
                       help="addresses of a reverse proxy whose X-Forwarded-For is trusted")
    serve.add_argument("--token-max-age-days", type=int,
                       default=Settings.token_max_age.days,
                       help="ask laptops whose token is older than this to rotate it")

    admin = commands.add_parser("admin", help="manage officers and devices")
    tasks = admin.add_subparsers(dest="task", required=True)
    add = tasks.add_parser("add-officer", parents=[common], help="register an officer")
    add.add_argument("--collar", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--team", required=True)
    add.add_argument("--district", required=True)
    code = tasks.add_parser("enrolment-code", parents=[common],
                            help="make a one-time code to enrol a laptop (valid 72 hours)")
    code.add_argument("--collar", required=True)
    for name, text in (("revoke-device", "stop a laptop syncing for good"),
                       ("mark-wipe", "tell a laptop to wipe itself; it sends nothing more")):
        task = tasks.add_parser(name, parents=[common], help=text)
        task.add_argument("--device", required=True)
    tasks.add_parser("list-devices", parents=[common], help="list enrolled laptops")
    retention_cli.add_parsers(tasks, common)
    record_cli.add_parsers(tasks, common)
    backup.add_parsers(tasks, common)
    report_cli.add_parser(commands, common)
    return parser


def _actor() -> str:
    try:
        user = getpass.getuser()
    except OSError:
        user = "unknown"
    return f"cli:{user}"


def _admin(storage: SqlStorage, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    settings = Settings()
    if args.task == "add-officer":
        officer = Officer(
            collar=_collar(args.collar),
            name=_text(args.name, "name", 120),
            role=args.role,
            team=_text(args.team, "team", 60),
            district=_district(args.district),
        )
        refusal = load_districts().team_refusal(officer.district, officer.team)
        if refusal:
            raise UsageError(refusal)
        storage.add_officer(officer, now=now, actor=_actor())
        print(f"Added {officer.role} {officer.collar} {officer.name} "
              f"(team {officer.team}, district {officer.district}).")
    elif args.task == "enrolment-code":
        plain = security.new_enrolment_code()
        expires = now + settings.enrolment_code_lifetime
        storage.add_enrolment_code(
            _collar(args.collar), security.code_digest(plain), now=now, expires_at=expires,
            actor=_actor(),
        )
        print(plain)
        print(f"One use, for officer {args.collar}, until {expires:%d/%m/%Y %H:%M} UTC.",
              file=sys.stderr)
    elif args.task in ("revoke-device", "mark-wipe"):
        status: DeviceStatus = "revoked" if args.task == "revoke-device" else "wipe"
        device = storage.set_device_status(args.device, status, now=now, actor=_actor())
        if device is None:
            raise UsageError(f"No device {args.device} is enrolled (see admin list-devices).")
        print(f"Device {device.device_id} ({device.name}, officer {device.collar}): {status}.")
    elif args.task in record_cli.TASKS:
        try:
            return record_cli.run(storage, args, catalogue=load_catalogue(), force=load_force(),
                                  now=now, actor=_actor(), out=sys.stdout)
        except record_cli.Mistake as exc:
            raise UsageError(str(exc)) from exc
    elif args.task in retention_cli.TASKS:
        try:
            return retention_cli.run(storage, args, now=now, actor=_actor(), out=sys.stdout)
        except retention_cli.Mistake as exc:
            raise UsageError(str(exc)) from exc
    else:
        devices = storage.devices(now=now, actor=_actor())
        print(f"{'device':<26} {'officer':<10} {'status':<8} {'enrolled':<28} "
              f"{'last seen':<28} name")
        for d in devices:
            print(f"{d.device_id:<26} {d.collar:<10} {d.status:<8} {d.enrolled_at:<28} "
                  f"{d.last_seen_at or '-':<28} {d.name}")
    return 0


def _serve(storage: SqlStorage, args: argparse.Namespace) -> int:
    tls = bool(args.certfile or args.keyfile)
    if tls and not (args.certfile and args.keyfile):
        raise UsageError("Give both --certfile and --keyfile for HTTPS.")
    if not tls and not _loopback(args.host):
        raise UsageError(
            "Laptops reach this endpoint only over HTTPS: give --certfile and --keyfile, or "
            "listen on 127.0.0.1 behind a reverse proxy that terminates TLS."
        )
    if args.token_max_age_days < 1:
        raise UsageError("--token-max-age-days must be at least 1.")
    settings = Settings(rate_per_second=args.rate, rate_burst=args.burst,
                        token_max_age=timedelta(days=args.token_max_age_days))
    app = create_app(storage, settings=settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port or (8443 if tls else 8080),
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        proxy_headers=args.forwarded_allow_ips is not None,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        log_level="info",
        # A laptop that keeps a connection open must not hold a restart up indefinitely.
        timeout_graceful_shutdown=10,
        # Every request must arrive in time (central/serving.py); idle keep-alive: 5 s.
        http=GuardedH11Protocol,
        timeout_keep_alive=5,
    )
    return 0


def _report(storage: SqlStorage, args: argparse.Namespace) -> int:
    if args.start > args.end:
        raise UsageError("The period ends before it starts: give --to on or after --from.")
    return report_cli.run(storage, args, policy=load_policy(), force=load_force(),
                          now=SystemClock().now(),
                          actor=_actor(), out=sys.stdout)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        if args.command == "admin" and args.task in backup.TASKS:
            # Not through the migrate below: a backup copies the database as it is, and a
            # restore needs an empty one.
            return backup.run(args, actor=_actor(), out=sys.stdout)
        storage = open_storage(args.database)
        try:
            storage.migrate(SystemClock().now())
            run = {"serve": _serve, "admin": _admin, "report": _report}[args.command]
            return run(storage, args)
        finally:
            storage.close()
    except (UsageError, StorageError) as exc:
        print(f"fieldapp-central: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
