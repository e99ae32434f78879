"""The laptop bundle: the spec, the icons, the smoke test from source, and (with
FIELDAPP_BUILD_BUNDLE=1, as CI sets) a real PyInstaller build, moved and installed elsewhere
and smoke-tested there, so it cannot lean on this checkout."""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "fieldapp.spec"
sys.path.insert(0, str(ROOT / "packaging"))
from make_icons import ICO_SIZE, PNG_SIZES, make_icons  # noqa: E402

# The `central` extra's packages (pyproject.toml): none of them belongs in a laptop's bundle.
ENDPOINT_ONLY = ("fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn", "psycopg")

SMOKE_STEPS = (
    "app icon drawn",
    "record saved and read back",
    "call-back date rolled past the bank holidays",
    "main window drawn on the offscreen platform",
    "smoke test passed",
)


def _env() -> dict[str, str]:
    """A laptop's environment: offscreen Qt, and nothing pointing back at this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FIELDAPP_HOME", "FIELDAPP_RESOURCES")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _smoke(
    command: list[str], home: Path, passphrase: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, "--smoke-test", "--home", str(home)], input=passphrase + "\n", cwd=cwd,
        env=_env(), capture_output=True, text=True, timeout=180, check=False,
    )


def _assert_smoke_passed(result: subprocess.CompletedProcess[str], opened: str) -> None:
    assert result.returncode == 0, result.stderr
    for step in (*SMOKE_STEPS, f"profile {opened} (SQLCipher)"):
        assert step in result.stdout, (step, result.stdout)


def test_the_spec_is_python_that_compiles() -> None:
    compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")


def test_the_laptop_needs_nothing_the_endpoint_alone_runs() -> None:
    """The app's own requirements leave the endpoint's out (they are the `central` extra), the
    spec excludes them, and the laptop's code imports none of them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[=<>]", d)[0].lower() for d in requirements}

    required = names(project["dependencies"])
    extra = names(project["optional-dependencies"]["central"])
    assert {"fastapi", "uvicorn", "psycopg", "pydantic"} <= extra
    assert not required & extra
    spec = SPEC.read_text(encoding="utf-8")
    assert all(f'"{name}"' in spec for name in ENDPOINT_ONLY)
    for path in (ROOT / "fieldapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not {n.split(".")[0] for n in names} & {*ENDPOINT_ONLY, "central"}, path


def test_icons_are_drawn_from_the_svg_at_every_size(qapp: QApplication, tmp_path: Path) -> None:
    # With pytest-qt's QApplication in place, make_icons makes no QGuiApplication of its own,
    # under which the widget tests that follow in this process could not run.
    ico = make_icons(tmp_path)
    for size in PNG_SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "fieldapp.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not blank
    assert QImage(str(ico)).width() == ICO_SIZE
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "fieldapp.svg").is_file()


def test_the_smoke_test_creates_then_unlocks_a_profile_from_source(tmp_path: Path) -> None:
    passphrase = secrets.token_urlsafe(18)
    command = [sys.executable, "-m", "fieldapp"]
    _assert_smoke_passed(_smoke(command, tmp_path / "home", passphrase, ROOT), "created")
    _assert_smoke_passed(_smoke(command, tmp_path / "home", passphrase, ROOT), "unlocked")
    wrong = _smoke(command, tmp_path / "home", passphrase + "x", ROOT)
    assert wrong.returncode == 1
    assert "smoke test FAILED" in wrong.stderr
    assert passphrase not in wrong.stdout + wrong.stderr


def test_the_smoke_test_refuses_to_run_without_its_own_folder() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--smoke-test"], input="x\n", env=_env(),
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "--smoke-test needs --home" in result.stderr


@pytest.mark.skipif(
    os.environ.get("FIELDAPP_BUILD_BUNDLE") != "1",
    reason="builds the PyInstaller bundle only with FIELDAPP_BUILD_BUNDLE=1 (CI sets it)",
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux build script")
def test_the_built_bundle_runs_moved_and_installed(tmp_path: Path) -> None:
    build = subprocess.run(
        [str(ROOT / "scripts" / "build-bundle.sh")], cwd=ROOT, env=_env(),
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "smoke test passed" in build.stdout

    # Moved away from the checkout, run from elsewhere: it finds its own resources.
    bundle = tmp_path / "moved" / "fieldapp"
    shutil.copytree(ROOT / "dist" / "fieldapp", bundle, symlinks=True)
    passphrase = secrets.token_urlsafe(18)
    result = _smoke([str(bundle / "fieldapp")], tmp_path / "home", passphrase, tmp_path)
    _assert_smoke_passed(result, "created")
    assert f"resources found in {bundle / '_internal' / 'resources'}" in result.stdout
    plugins = bundle / "_internal" / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqxcb.so", "platforms/libqoffscreen.so",
                   "imageformats/libqsvg.so", "imageformats/libqico.so"):
        assert (plugins / plugin).is_file(), plugin
    assert list((bundle / "_internal" / "sqlcipher3").glob("_sqlite3*.so"))
    assert not (bundle / "_internal" / "central").exists()  # the endpoint stays out
    # ... and so does what only the endpoint runs (the `central` extra).
    internal = {path.name.lower() for path in (bundle / "_internal").rglob("*")}
    for name in ENDPOINT_ONLY:
        assert not {n for n in internal if n == name or n.startswith(name + "-")}, name
    # The admin commands, as a console program: IT lists the profile the smoke test made.
    listed = subprocess.run(
        [str(bundle / "fieldapp-admin"), "--home", str(tmp_path / "home"), "profiles"],
        env=_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert (listed.returncode, listed.stdout) == (0, "smoke\n"), listed.stderr

    # Installed as IT would, under a scratch root: program, menu entry and icons in place.
    root = tmp_path / "root"
    install = subprocess.run(
        ["sh", str(bundle / "share" / "install.sh")], env={**_env(), "DESTDIR": str(root)},
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert install.returncode == 0, install.stderr
    entry = (root / "usr/share/applications/fieldapp.desktop").read_text(encoding="utf-8")
    assert "Exec=/opt/fieldapp/fieldapp\n" in entry
    for size in PNG_SIZES:
        assert (root / f"usr/share/icons/hicolor/{size}x{size}/apps/fieldapp.png").is_file()
    result = _smoke([str(root / "opt/fieldapp/fieldapp")], tmp_path / "home", passphrase, root)
    _assert_smoke_passed(result, "unlocked")
