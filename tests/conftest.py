"""Test configuration: Qt runs offscreen, and tiny Hugging Face models are built once per session."""

from __future__ import annotations

import os
import sys

# Set here, before anything imports Qt, so no test run needs a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

# Replaced exports go to the trash (send2trash reads XDG_DATA_HOME when it is imported): give
# the tests a trash of their own, never the user's.
_DATA_HOME = tempfile.mkdtemp(prefix="headmix-test-data-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME
atexit.register(shutil.rmtree, _DATA_HOME, True)
# and calibrated projections spill into a folder of their own, not the user's cache
os.environ["HEADMIX_SPILL_DIR"] = os.path.join(_DATA_HOME, "spill")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """Build (once) and return the folder of a tiny saved model: model_dir(family, dtype=..., sharded=...)."""
    from hf_models import save_model

    cache: dict[tuple, Path] = {}

    def get(family: str, dtype: str = "float32", sharded: bool = False) -> Path:
        key = (family, dtype, sharded)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"{family}-{dtype}-{'sharded' if sharded else 'single'}")
            save_model(family, folder, dtype=dtype, sharded=sharded)
            cache[key] = folder
        return cache[key]

    return get


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, settings):
    """The main window, shown offscreen, with its own settings file and presets folder."""
    from headmix.gui.app import make_app
    from headmix.gui.main_window import MainWindow

    monkeypatch.setenv("HEADMIX_PRESETS_DIR", str(tmp_path / "presets"))
    make_app()
    w = MainWindow(settings)
    qtbot.addWidget(w)
    # the window opens at what the screen has room for (the offscreen screen is 800×800): the window tests are
    # written for the size it takes on a desktop screen
    w.resize(1480, 880)
    w.show()
    yield w
    w.close()


@pytest.fixture
def demo_folder(tmp_path):
    """The demo checkpoint with a tokenizer of its own (its 512-token vocabulary covers the tiny one's 96)."""
    import tiny_text

    folder = tmp_path / "demo with tokenizer"
    shutil.copytree(DEMO, folder)
    tiny_text.save_tokenizer(folder, add_bos=True)
    return folder


@pytest.fixture(scope="module")
def tokenized_llama(tmp_path_factory):
    """A tiny transformers Llama with a tokenizer (calibration and quality read text), once per test module."""
    import hf_models
    import tiny_text

    folder = tmp_path_factory.mktemp("tokenized") / "tiny llama"
    hf_models.save(hf_models.build("llama"), folder)
    tiny_text.save_tokenizer(folder)
    return folder


def gate(monkeypatch, module, name: str, per_call: float):
    """Make ``module.name`` wait until the returned gate opens (or ``per_call`` seconds) each time it runs, as on
    a large model, so a test can act while the work is under way; ``gate.entered`` is set once it has started."""
    import threading

    opened = threading.Event()
    opened.entered = threading.Event()
    real = getattr(module, name)

    def slow(*args, **kwargs):
        opened.entered.set()
        opened.wait(per_call)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)
    return opened


def open_demo(qtbot, window, path=DEMO):
    """Open a checkpoint in the window and wait until its importance scores are in."""
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        with qtbot.waitSignal(window.checkpoint_opened):
            assert window.open_path(path)


_interop = {"ran": 0, "skipped": 0}
_runtimes = {"ran": 0, "skipped": 0}


def pytest_runtest_logreport(report):
    if "runtimes" in report.keywords and (report.when == "call" or report.skipped):
        _runtimes["skipped" if report.skipped else "ran"] += 1
    if "interop" in report.keywords and report.when == "call":
        _interop["ran" if report.passed else "skipped" if report.skipped else "ran"] += 1
    elif "interop" in report.keywords and report.skipped:
        _interop["skipped"] += 1


def pytest_sessionfinish(session, exitstatus):
    """In CI the transformers round trips are the point: a run without them must fail."""
    if os.environ.get("HEADMIX_CI") and exitstatus == 0 and (_interop["skipped"] or not _interop["ran"]):
        print(f"\nheadmix CI: interop tests ran {_interop['ran']}, skipped {_interop['skipped']}: failing the run")
        session.exitstatus = 1
    if os.environ.get("HEADMIX_CI") and sys.platform == "linux" and exitstatus == 0 and (_runtimes["skipped"] or not _runtimes["ran"]):
        print(f"\nheadmix CI: runtime tests (mlx-lm, llama.cpp) ran {_runtimes['ran']}, skipped {_runtimes['skipped']}: failing the run")
        session.exitstatus = 1


# Property tests: a quick profile for CI (the whole fuzz module stays well under two minutes)
# and a deep one for local runs: HEADMIX_FUZZ=deep python -m pytest tests/test_fuzz.py
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

_fuzz_common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=False)
hypothesis_settings.register_profile("ci", max_examples=60, **_fuzz_common)
hypothesis_settings.register_profile("deep", max_examples=3000, **_fuzz_common)
hypothesis_settings.load_profile(os.environ.get("HEADMIX_FUZZ", "ci"))
