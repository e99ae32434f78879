"""A real X display for the window tests: Xvfb at a laptop panel's size, openbox (a window
manager, so that windows get focus, frames and the sizes a desktop would give them), and
xdotool to type and press keys at full speed, as a person would but faster.

The tools come from Debian (scripts/setup-dev.sh installs them: xvfb, openbox, xdotool,
imagemagick for the screenshot). Off Linux the tests skip; on Linux without them they skip
too, except on CI (CI=true), where they fail: the tier must run there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "openbox", "xdotool", "import", "xwininfo", "xprop")


def need_tools() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the real-window tests drive an X display: Linux only")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"missing {', '.join(missing)}: run ./scripts/setup-dev.sh (as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the real-window tests, but {message}")
        pytest.skip(message)


_used: set[int] = set()


def _free_display() -> int:
    """A display number no X server holds, never one this process used before (an old
    server's files can outlive it for a moment)."""
    first = 90 + os.getpid() % 200
    for number in [*range(first, 400), *range(90, first)]:
        if number not in _used and not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(
            f"/tmp/.X{number}-lock"
        ).exists():
            _used.add(number)
            return number
    raise RuntimeError("no free X display number between :90 and :399")


class XSession:
    def __init__(self, display: str, env: dict[str, str]) -> None:
        self.display = display
        self.env = env

    def run(self, *args: str, timeout: float = 30) -> str:
        done = subprocess.run(args, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def key(self, *keys: str) -> None:
        self.run("xdotool", "key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--delay", "0", "--clearmodifiers", text)

    def windows(self, title: str) -> list[str]:
        """Visible windows whose title is exactly `title`."""
        done = subprocess.run(
            # Qt adds the application's name to a dialog's title: "Household — fieldapp".
            ["xdotool", "search", "--onlyvisible", "--name", f"^{title}( — fieldapp)?$"],
            env=self.env,
            capture_output=True, text=True, timeout=30, check=False,
        )
        return done.stdout.split()

    def active_title(self) -> str:
        done = subprocess.run(["xdotool", "getactivewindow", "getwindowname"], env=self.env,
                              capture_output=True, text=True, timeout=30, check=False)
        return done.stdout.strip()

    def wait_active(self, title: str, timeout: float = 60) -> str:
        """Waits until a window titled `title` is shown and has the keyboard; its id."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.windows(title)
            if found and self.active_title() in (title, f"{title} — fieldapp"):
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no window {title!r} with focus after {timeout} s "
                             f"(active: {self.active_title()!r})")

    def wait_gone(self, title: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while self.windows(title):
            if time.monotonic() > end:
                raise AssertionError(f"window {title!r} still open after {timeout} s")
            time.sleep(0.05)

    def frame(self, window: str) -> tuple[int, int, int, int]:
        """x, y, width, height of `window` with its frame, on the root window."""
        info = self.run("xwininfo", "-frame", "-id", window)
        values = {}
        for line in info.splitlines():
            name, _, value = line.strip().partition(":")
            values[name] = value.strip()
        return (int(values["Absolute upper-left X"]), int(values["Absolute upper-left Y"]),
                int(values["Width"]), int(values["Height"]))

    def screenshot(self, path: Path) -> None:
        self.run("import", "-window", "root", str(path), timeout=60)


@contextmanager
def x_session(width: int = 1366, height: int = 768) -> Iterator[XSession]:
    need_tools()
    number = _free_display()
    display = f":{number}"
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env |= {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "XDG_SESSION_TYPE": "x11"}
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    manager: subprocess.Popen[bytes] | None = None
    try:
        end = time.monotonic() + 60
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"Xvfb did not start on {display}")
            time.sleep(0.05)
        # The socket can exist a moment before the server takes connections: openbox then
        # exits at once, so it is started again.
        end = time.monotonic() + 90  # a loaded CI machine can take a while
        while True:
            manager = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            time.sleep(0.5)
            if manager.poll() is None or time.monotonic() > end:
                break
        session = XSession(display, env)
        while "CARDINAL" not in subprocess.run(  # openbox says it runs by its pid on the root
            ["xprop", "-root", "_OPENBOX_PID"], env=env, capture_output=True, text=True,
            check=False,
        ).stdout:
            if manager.poll() is not None or time.monotonic() > end:
                said = manager.stderr.read().decode() if manager.poll() is not None and \
                    manager.stderr else ""
                raise AssertionError(f"openbox did not start on {display}: {said[-500:]}")
            time.sleep(0.05)
        yield session
    finally:
        for process in (manager, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
