"""A stand-in for a coding CLI, started by ``cligate run`` in launcher tests.

It records what it was given to ``$FAKE_TOOL_REPORT`` (JSON) and then behaves as
``$FAKE_TOOL_MODE`` says.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request


def report(**fields: object) -> None:
    path = os.environ["FAKE_TOOL_REPORT"]
    existing = {}
    if os.path.exists(path):
        with open(path) as handle:
            existing = json.load(handle)
    existing.update(fields)
    with open(path + ".tmp", "w") as handle:
        json.dump(existing, handle)
    os.replace(path + ".tmp", path)


def _owns_controlling_tty() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    finally:
        os.close(fd)


def main() -> int:
    mode = os.environ.get("FAKE_TOOL_MODE", "exit")
    report(
        pid=os.getpid(),
        pgid=os.getpgrp(),
        argv=sys.argv[1:],
        base_url=os.environ.get("ANTHROPIC_BASE_URL"),
        token=os.environ.get("ANTHROPIC_AUTH_TOKEN"),
        has_user_key="ANTHROPIC_API_KEY" in os.environ,
        tty_foreground=(os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()),
        controlling_tty_foreground=_owns_controlling_tty(),
    )
    if mode == "exit":
        return int(os.environ.get("FAKE_TOOL_EXIT", "0"))
    if mode == "request":
        # One real request through the proxy, as the tool would make it.
        request = urllib.request.Request(
            os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
            data=json.dumps({"model": "m", "max_tokens": 5, "messages": []}).encode(),
            headers={
                "authorization": f"Bearer {os.environ['ANTHROPIC_AUTH_TOKEN']}",
                "content-type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                report(status=response.status, body=response.read().decode())
        except urllib.error.HTTPError as error:
            report(status=error.code, body=error.read().decode())
        return 0
    if mode == "self-kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode in ("sleep", "sleep-with-grandchildren"):
        if mode == "sleep-with-grandchildren":
            # One grandchild in our group, one that escapes into its own session.
            same_group = subprocess.Popen(["sleep", "300"])
            own_session = subprocess.Popen(["sleep", "301"], start_new_session=True)
            report(grandchildren=[same_group.pid, own_session.pid])
        report(ready=True)
        time.sleep(300)
        return 0
    if mode == "sleep-then-exit":
        report(ready=True)
        time.sleep(float(os.environ.get("FAKE_TOOL_SECONDS", "1")))
        return 0
    if mode == "orphan-maker":
        # A grandchild whose parent exits at once: it is re-parented to cligate (subreaper).
        middle = os.fork()
        if middle == 0:
            orphan = subprocess.Popen(["sleep", "0.2"], start_new_session=True)
            report(orphan=orphan.pid)
            os._exit(0)
        os.waitpid(middle, 0)
        report(ready=True)
        time.sleep(300)
        return 0
    if mode == "count-sigint":
        hits: list[float] = []
        signal.signal(signal.SIGINT, lambda *_: hits.append(time.monotonic()))
        report(ready=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not hits or time.monotonic() - hits[0] < 1.0):
            time.sleep(0.05)
        report(sigints=len(hits))
        return 0
    return 3


if __name__ == "__main__":
    sys.exit(main())
