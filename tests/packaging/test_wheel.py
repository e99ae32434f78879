"""A plain `pip install` (not editable) carries resources/ and finds it (share/fieldapp)."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_policy_catalogue_and_icons(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("fieldapp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = "fieldapp-0.1.0.data/data/share/fieldapp/resources/"
    for name in ("schedule_policy.json", "leaflets.json", "icons/fieldapp.svg"):
        assert data + name in names


def test_an_installed_copy_finds_resources_under_the_prefix(tmp_path: Path) -> None:
    # Copy the package alone (no resources/ beside it), as site-packages would hold it.
    site = tmp_path / "site"
    (site / "fieldapp").mkdir(parents=True)
    (site / "fieldapp" / "resources.py").write_bytes(
        (ROOT / "fieldapp" / "resources.py").read_bytes()
    )
    copy = str(site / "fieldapp" / "resources.py")
    probe = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('r', {copy!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(module.resources_dir())\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.strip()
    assert found == str(Path(sys.prefix) / "share" / "fieldapp" / "resources")
