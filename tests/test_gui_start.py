"""Starting the window on a fresh Linux desktop: missing xcb libraries get the apt line, not Qt's abort."""

from __future__ import annotations

import pytest

from headmix.gui.launch import main
from headmix.gui import app


def test_missing_xcb_libraries_print_the_apt_line_before_qt_starts(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(app, "_loadable", lambda soname: soname != "libxcb-cursor.so.0")

    def no_qt(*args, **kwargs):
        raise AssertionError("QApplication must not be created when the platform plugin cannot load")

    monkeypatch.setattr(app, "make_app", no_qt)
    assert main(["gui"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and app.APT_LINE in err
    assert "sudo apt-get install -y" in err and "libxcb-cursor0" in err and "libxcb-icccm4" in err


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", "libxcb-keysyms1"),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", "libxcb-keysyms1"),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", None),
        ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux", None),
        ({}, "linux", "no display"),
        ({"DISPLAY": ":0"}, "darwin", None),
        ({"DISPLAY": ":0"}, "win32", None),
    ],
)
def test_platform_problem(environ, platform, expected):
    message = app.platform_problem(environ, platform, loadable=lambda soname: "keysyms" not in soname)
    if expected is None:
        assert message is None
    else:
        assert expected in message


def test_nothing_is_said_when_every_library_loads():
    assert app.platform_problem({"DISPLAY": ":0"}, "linux", loadable=lambda soname: True) is None


def test_the_readme_names_the_apt_line():
    from conftest import ROOT

    assert app.APT_LINE in (ROOT / "README.md").read_text()
