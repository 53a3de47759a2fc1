"""Regenerate the saved lab captures under tests/data/lab/ (needs root and the lab tools).

Runs every lab scenario once (both logging modes, in parallel) with a private sshd, real
ssh clients and a private rsyslogd on /dev/log, then writes each scenario's captures with
temporary paths rewritten to /srv/lab. Usage: ``sudo python scripts/regen_lab_fixtures.py
[SCENARIO ...]``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from sshlab.env import LabEnv, missing_prerequisites  # noqa: E402
from sshlab.expect import EXPECT  # noqa: E402
from sshlab.netns import netns_unavailable  # noqa: E402
from sshlab.rsyslog import PrivateRsyslog, dev_log_served  # noqa: E402
from sshlab.runner import run_all  # noqa: E402
from sshlab.scenarios import SCENARIOS  # noqa: E402

OUT = REPO / "tests" / "data" / "lab"


def main(argv: list[str]) -> int:
    """Run the scenarios named in ``argv`` (all by default) and save their captures."""
    missing = missing_prerequisites()
    if missing:
        print(f"cannot run the lab, missing: {', '.join(missing)}", file=sys.stderr)
        return 2
    if dev_log_served():
        print("/dev/log is served by another syslog daemon; stop it first", file=sys.stderr)
        return 2
    names = argv or list(SCENARIOS)
    netns_skip = netns_unavailable()
    if netns_skip:
        print(f"skipping namespace scenarios: {netns_skip}", file=sys.stderr)
        names = [n for n in names if not EXPECT[n].needs_netns]
    root = Path(tempfile.mkdtemp(prefix="lab-regen-"))
    rsyslog = PrivateRsyslog(root / "rsyslog")
    started = time.monotonic()
    try:
        env = LabEnv(root)
        env.prepare()
        rsyslog.start()
        captures = run_all(env, {n: SCENARIOS[n] for n in names}, root / "jobs", rsyslog, OUT)
    finally:
        rsyslog.stop()
        shutil.rmtree(root, ignore_errors=True)
    failed = {n: c.errors for n, c in captures.items() if c.errors}
    for name, errors in failed.items():
        print(f"{name} failed:\n" + "\n".join(errors), file=sys.stderr)
    print(f"{len(captures)} scenarios saved to {OUT} in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
