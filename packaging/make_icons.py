"""Draws the app icon from resources/icons/fieldapp.svg with Qt, for the installers.

    python packaging/make_icons.py [OUT]      (default OUT: build/icons)

writes OUT/hicolor/<n>x<n>/apps/fieldapp.png for the Linux menu (the freedesktop icon theme
layout), OUT/hicolor/scalable/apps/fieldapp.svg, and OUT/fieldapp.ico for Windows through
Qt's ICO writer (the qico image format plugin). The PyInstaller spec runs it at every build,
so the pictures are never out of step with the SVG and no binary is kept in the repository.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "fieldapp.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Qt's ICO writer stores one picture; Windows scales the 256-pixel one for smaller views.
ICO_SIZE = 256

_app: QGuiApplication | None = None


def _gui() -> None:
    """Drawing needs a GUI application, kept for the life of the process as Qt expects;
    the offscreen platform works with or without a display."""
    global _app
    if QGuiApplication.instance() is None:
        _app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])


def _render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def make_icons(out: Path) -> Path:
    """Writes every icon under `out`; returns the .ico's path. Raises OSError on failure."""
    _gui()
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise OSError(f"{SVG} is not an SVG that Qt can draw")
    for size in PNG_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / "fieldapp.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _render(renderer, size).save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
    scalable = out / "hicolor" / "scalable" / "apps" / "fieldapp.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    ico = out / "fieldapp.ico"
    if not _render(renderer, ICO_SIZE).save(str(ico), "ICO"):
        raise OSError(f"could not write {ico}: is Qt's imageformats/qico plugin installed?")
    if QImage(str(ico)).width() != ICO_SIZE:
        raise OSError(f"{ico} was written but does not read back")
    return ico


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    print(make_icons(destination))
