"""Tests of the demo machinery: tools/demos/lib.sh run unattended, as make test runs demos.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import demo  # noqa: E402


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for init to reap it counts as stopped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class DemoLib(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = Path(self.tmp.name) / "bin"
        self.bin.mkdir()
        self.script = Path(self.tmp.name) / "99-try.sh"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def env(self) -> dict[str, str]:
        return dict(os.environ, SYSLAB_ROOT=str(ROOT), DEMO_BIN=str(self.bin), DEMO_PAUSE="0")

    def run_demo(self, body: str) -> subprocess.CompletedProcess:
        self.script.write_text('source "$SYSLAB_ROOT/tools/demos/lib.sh"\n' + textwrap.dedent(body))
        return subprocess.run(["bash", str(self.script)], env=self.env(), cwd=ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)

    def test_a_step_shows_the_command_runs_it_and_says_what_to_look_at(self):
        result = self.run_demo("""
            say "narration"
            step "greet" "the greeting" echo hello "big world"
            step_sh "a pipeline" "the count" 'printf "a\\nb\\n" | wc -l'
        """)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("narration", result.stdout)
        self.assertIn("── step 1: greet\n$ echo hello 'big world'\nhello big world\n"
                      "   look at: the greeting", result.stdout)
        self.assertIn("── step 2: a pipeline", result.stdout)
        self.assertIn("\n2\n", result.stdout)
        self.assertIn("end of the demo", result.stdout)

    def test_commands_under_the_root_are_shown_relative_to_it(self):
        result = self.run_demo('step "list" "files" ls "$SYSLAB_ROOT/tools/demos/lib.sh"\n')
        self.assertIn("$ ls tools/demos/lib.sh\n", result.stdout)

    def test_a_failing_step_fails_the_demo_and_names_the_step(self):
        result = self.run_demo("""
            step "fine" "-" true
            step "broken" "-" bash -c 'exit 3'
            step "never" "-" echo never-reached
        """)
        self.assertEqual(result.returncode, 3)
        self.assertIn("demo: step 2 (broken) failed with exit status 3", result.stderr)
        self.assertNotIn("never-reached", result.stdout)

    def test_step_fails_wants_a_failure(self):
        result = self.run_demo('step_fails "missing" "ENOENT" ls /nonexistent-syslab-path\n')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("as expected", result.stdout)
        result = self.run_demo('step_fails "oops" "-" true\n')
        self.assertEqual(result.returncode, 1)
        self.assertIn("should have failed", result.stderr)

    def test_background_processes_and_their_children_are_stopped_at_the_end(self):
        pid_file = Path(self.tmp.name) / "pids"
        result = self.run_demo(f"""
            background bash -c 'trap "" TERM; sleep 300 & echo $$ $! > {pid_file}; wait'
            wait_for "the pid file" 'test -s {pid_file}'
        """)
        self.assertEqual(result.returncode, 0, result.stderr)
        for pid in pid_file.read_text().split():
            self.assertFalse(alive(int(pid)), f"process {pid} outlived the demo")

    def test_wait_for_gives_up(self):
        result = self.run_demo('wait_for "never" false 1\n')
        self.assertEqual(result.returncode, 1)
        self.assertIn("gave up waiting 1 s for never", result.stderr)

    def test_scratch_directory_is_removed(self):
        result = self.run_demo('echo "tmp=$DEMO_TMP"\n')
        tmp = result.stdout.split("tmp=", 1)[1].split()[0]
        self.assertFalse(Path(tmp).exists())

    def test_missing_program_directory_is_a_clear_error(self):
        self.bin.rmdir()
        result = self.run_demo("true\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("make demo LAB=NN", result.stderr)

    def test_run_script_unattended_returns_the_demo_status_and_logs(self):
        self.script.write_text('source "$SYSLAB_ROOT/tools/demos/lib.sh"\n'
                               'step "the step" "-" echo logged\nexit 5\n')
        with tempfile.TemporaryFile("w+") as log:
            status = demo.run_script(self.script, self.env(), interactive=False, log=log)
            log.seek(0)
            output = log.read()
        self.assertEqual(status, 5)
        self.assertIn("step 1: the step", output)
        self.assertIn("logged", output)


class FinaleServer(unittest.TestCase):
    """make demo with no LAB picks lab 14's httpd with two workers when the lab list has it and
    the build is configured for it, else lab 13's."""

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.build = Path(self.tmp.name)
        self.saved = demo.labs_mod.BUILD, demo.labs_mod.all_labs

    def tearDown(self) -> None:
        demo.labs_mod.BUILD, demo.labs_mod.all_labs = self.saved
        self.tmp.cleanup()

    def given(self, listed: list[str], configured: list[str]) -> None:
        demo.labs_mod.BUILD = self.build
        demo.labs_mod.all_labs = lambda: [demo.labs_mod.Lab(name) for name in listed]
        (self.build / "build.ninja").write_text(
            "".join(f"build lab-{name}-solution: phony\n" for name in configured))

    def test_lab_14_with_two_workers_when_listed_and_built(self):
        self.given(["13-http2", "14-finale"], ["13-http2", "14-finale"])
        lab, flags = demo.finale_server("solution")
        self.assertEqual((lab.name, flags), ("14-finale", "--workers 2"))

    def test_lab_13_when_lab_14_is_not_in_the_build(self):
        self.given(["13-http2", "14-finale"], ["13-http2"])
        lab, flags = demo.finale_server("solution")
        self.assertEqual((lab.name, flags), ("13-http2", ""))

    def test_neither_is_a_clear_error(self):
        self.given(["12-http1"], ["12-http1"])
        with self.assertRaises(demo.DemoError):
            demo.finale_server("solution")


if __name__ == "__main__":
    unittest.main()
