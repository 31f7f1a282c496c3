"""A real browser (headless Chromium) opens the report offline without console errors.

Skipped where Chromium is absent, unless the environment variable CI is set (then a failure).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from report_fixtures import bundle

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip
# Records script errors, console.error calls and blocked network requests in the DOM, so that
# --dump-dom shows them; inserted into a copy of the report only.
RECORDER = """<script>(function () {
  var root = document.documentElement;
  function note(kind, msg) {
    var before = root.getAttribute("data-errors") || "";
    root.setAttribute("data-errors", before + kind + ": " + msg + "\\n");
  }
  window.addEventListener("error", function (e) { note("error", e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    note("rejection", String(e.reason));
  });
  document.addEventListener("securitypolicyviolation", function (e) {
    note("blocked", e.blockedURI);
  });
  var original = console.error;
  console.error = function () {
    note("console", Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();</script>"""
STDERR_ERRORS = re.compile(r"Uncaught|ERROR:CONSOLE|violates the following Content Security Policy")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is required under CI (apt-get install -y chromium)")
    pytest.skip("Chromium not installed")


def run_browser(*args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with a fresh profile; kill whatever it leaves behind."""
    profile = tempfile.mkdtemp(prefix="emergence-chromium-")
    proc = subprocess.Popen(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # helpers of this run only (own session)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def instrumented(text: str, dest: Path) -> Path:
    dest.write_text(text.replace("<head>\n", "<head>\n" + RECORDER + "\n", 1), encoding="utf-8")
    return dest


def problems(result: subprocess.CompletedProcess) -> list[str]:
    found = [line for line in result.stderr.splitlines() if STDERR_ERRORS.search(line)]
    match = re.search(r'<html[^>]*\bdata-errors="([^"]*)"', result.stdout)
    if match and match.group(1).strip():
        found.append(match.group(1))
    return found


def test_detector_catches_errors(tmp_path):
    page = bundle().html.replace(
        "</body>", '<img src="http://example.invalid/x.png"><script>missing();</script></body>'
    )
    result = run_browser("--dump-dom", instrumented(page, tmp_path / "bad.html").as_uri())
    found = "\n".join(problems(result))
    assert "missing is not defined" in found
    assert "example.invalid" in found  # the request was blocked, and noticed


def test_report_opens_without_errors(tmp_path):
    text = bundle().html
    # close task 2 so that opening it from the URL shows the page script works
    closed = text.replace('id="task-0002" open>', 'id="task-0002">', 1)
    assert closed != text
    page = instrumented(closed, tmp_path / "report.html")
    result = run_browser("--dump-dom", page.as_uri() + "#task-0002")
    assert result.returncode == 0, result.stderr[-2000:]
    assert problems(result) == []
    dom = result.stdout
    for heading in ("What was analysed", "Verdicts", "Tasks", "Scaling laws", "Methods"):
        assert f"<h2>{heading}</h2>" in dom
    analysis = bundle().analysis
    assert dom.count('class="figure"') == analysis.tasks["task"].nunique() + len(analysis.scaling)
    assert re.search(r'<details class="task" id="task-0002" open="">', dom)


# Runs after the report's script: closes the section the URL opened, clicks its link in the
# verdict table again (same hash: no hashchange), and records whether the section reopened.
RECLICK = """<script>(function () {
  var d = document.getElementById("task-0002");
  var opened = d.open;
  d.open = false;
  document.querySelector('#verdicts a[href="#task-0002"]').click();
  var other = document.getElementById("task-0003");
  other.open = false;
  document.querySelector('#verdicts a[href="#task-0003"]').click();
  document.documentElement.setAttribute(
    "data-reclick", [opened, d.open, other.open, location.hash].join(" "));
})();</script>"""


def test_clicking_a_task_link_again_reopens_its_section(tmp_path):
    text = bundle().html.replace(' id="task-0002" open>', ' id="task-0002">', 1)
    text = text.replace("</body>", RECLICK + "</body>", 1)
    page = instrumented(text, tmp_path / "report.html")
    result = run_browser("--dump-dom", page.as_uri() + "#task-0002")
    assert result.returncode == 0, result.stderr[-2000:]
    assert problems(result) == []
    match = re.search(r'data-reclick="([^"]*)"', result.stdout)
    assert match, result.stdout[:500]
    # opened from the URL; reopened by a click on the link the URL already names; a click on
    # another task's link opens that one
    assert match.group(1) == "true true true #task-0003"


def test_screenshot(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(bundle().html, encoding="utf-8")
    shot = tmp_path / "report.png"
    result = run_browser(f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
    from PIL import Image  # matplotlib's own dependency

    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    # the page drew: text, tables and coloured figure lines, not a blank or an error page
    inked = sum(n for n, rgb in colours if min(rgb) < 200)
    assert len(colours) > 50 and inked > 0.01 * width * height
    keep = os.environ.get("EMERGENCE_KEEP_SCREENSHOT")
    if keep:  # for a person to look at
        shutil.copy(shot, keep)
