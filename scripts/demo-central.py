"""Sets up a demo central endpoint on 127.0.0.1 for trying the app: a test CA and server
certificate, one OIC (collar 1234) and an enrolment code. Prints what to type into the app.

Demo only: the CA key is thrown away and the database lives in .demo/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import trustme

DEMO = Path(__file__).resolve().parent.parent / ".demo"


def central(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "central", *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def main() -> None:
    DEMO.mkdir(mode=0o700, exist_ok=True)
    database = f"sqlite:///{DEMO / 'central.db'}"
    ca_file, cert_file, key_file = DEMO / "ca.pem", DEMO / "server.pem", DEMO / "server.key"
    if not cert_file.exists():
        ca = trustme.CA()
        issued = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(ca_file))
        issued.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
        issued.private_key_pem.write_to_path(str(key_file))
        central("admin", "add-officer", "--database", database, "--collar", "1234",
                "--name", "Demo Officer", "--role", "oic", "--team", "Online CAIT",
                "--district", "Leeds")
    code = central("admin", "enrolment-code", "--database", database, "--collar", "1234")
    print(f"{database}\t{cert_file}\t{key_file}\t{ca_file}\t{code.splitlines()[0]}")


if __name__ == "__main__":
    main()
