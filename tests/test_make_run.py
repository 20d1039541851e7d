"""`make run` on a throw-away SQLite database serves the demo home page."""

import os
import subprocess
import time
import urllib.request

from tests.services import ROOT, free_port, stop

SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "LINLI_ENV", "CELERY_BROKER_URL")


def test_make_run_migrates_seeds_and_serves_the_home_page(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(SQLITE_PATH=str(tmp_path / "smoke.sqlite3"), PYTHONUNBUFFERED="1")
    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        body = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"Accept-Language": "zh-CN"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    assert response.status == 200
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        output = log_path.read_text(errors="replace")
        assert body is not None, output
    finally:
        stop(process)

    assert "邻里" in body
    assert "/accounts/login/" in body
    # make run prints the demo logins before it serves.
    assert "138 0000 0001" in output
    assert (tmp_path / "smoke.sqlite3").stat().st_size > 0
