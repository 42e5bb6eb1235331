"""The runner's side of fault injection: which tests run under faults (tests/NN/faults.txt), the
fault log read back under a failure, and the repro line.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import struct
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import faults, runner  # noqa: E402
from kit.labs import Lab  # noqa: E402


def write_log(path: Path, lines: list[str]) -> None:
    """A log as faults.cpp writes it: a 64-bit count, then a ring of 120-byte lines."""
    ring = bytearray(faults.LOG_ENTRIES * faults.LOG_LINE)
    for index, line in enumerate(lines):
        offset = (index % faults.LOG_ENTRIES) * faults.LOG_LINE
        raw = line.encode()[:faults.LOG_LINE - 1]
        ring[offset:offset + len(raw)] = raw
    path.write_bytes(struct.pack("<Q", len(lines)) + bytes(ring))


class Selection(unittest.TestCase):
    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="syslab-faults-")
        self.addCleanup(scratch.cleanup)
        self.file = Path(scratch.name) / "faults.txt"
        patcher = mock.patch.object(faults, "faults_file", lambda lab: self.file)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.lab = Lab("02-fd-raii")

    def test_every_test_runs_but_those_left_out_with_a_reason(self) -> None:
        self.file.write_text("# comment\n\nReadSome.* asserts one read's result\n"
                             "PeerGone.IsAValue  one write into a closed pipe  # why\n")
        cases = [runner.TestCase(n) for n in ("ReadSome.A", "ReadSome.B", "Copy.All", "PeerGone.IsAValue")]
        chosen, skipped = faults.select(self.lab, cases)
        self.assertEqual([c.name for c in chosen], ["Copy.All"])
        self.assertEqual(len(skipped), 3)
        self.assertEqual(faults.reason_left_out("PeerGone.IsAValue", faults.left_out(self.lab)),
                         "one write into a closed pipe")

    def test_a_line_without_its_reason_is_refused(self) -> None:
        self.file.write_text("ReadSome.*\n")
        with self.assertRaisesRegex(ValueError, "the reason is missing"):
            faults.left_out(self.lab)


class FaultLog(unittest.TestCase):
    def test_the_last_faults_come_back_oldest_first_with_the_count(self) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            log = Path(scratch) / "log"
            write_log(log, [f"pid 1 read(fd 3, {n}) -> EINTR" for n in range(70)])  # the ring wraps
            self.assertEqual(faults.fault_count(log), 70)
            self.assertEqual(faults.read_log(log, last=2),
                             ["pid 1 read(fd 3, 68) -> EINTR", "pid 1 read(fd 3, 69) -> EINTR"])
            self.assertEqual(faults.fault_count(Path(scratch) / "absent"), 0)

    def test_a_failure_names_the_faults_before_it_first(self) -> None:
        run = faults.FaultRun(123, "short,eintr")
        text = faults.faults_before(run, 9, ["pid 4 write(fd 5, 4096) -> at most 17 (short)"])
        self.assertTrue(text.startswith("under faults (FAULTS=123 FAULT_KINDS=short,eintr): 9 injected"))
        self.assertIn("write(fd 5, 4096) -> at most 17 (short)", text)
        self.assertIn("none was injected", faults.faults_before(run, 0, []))

    def test_the_repro_line_carries_the_seed_and_narrowed_kinds(self) -> None:
        case = runner.TestCase("Copy.CopiesEveryByte")
        self.assertEqual(faults.rerun_command(Lab("02-fd-raii"), case, faults.FaultRun(42)),
                         "make check LAB=02 TEST=Copy.CopiesEveryByte FAULTS=42")
        self.assertEqual(faults.FaultRun(42, "eintr").make_arguments(), "FAULTS=42 FAULT_KINDS=eintr")

    def test_the_environment_keeps_the_runners_asan_options(self) -> None:
        env = faults.fault_environment(faults.FaultRun(5), Path("/tmp/log"))
        self.assertEqual(env["SYSLAB_FAULTS"], "5")
        self.assertIn("detect_leaks=1", env["ASAN_OPTIONS"])
        self.assertIn("verify_asan_link_order=0", env["ASAN_OPTIONS"])
        self.assertTrue(env["LD_PRELOAD"].endswith("libsyslab-faults.so"))


class LabFiles(unittest.TestCase):
    def test_every_faults_file_of_the_kit_parses(self) -> None:
        labs = faults.fault_labs()
        self.assertTrue(labs, "no lab has tests/NN-name/faults.txt")
        for lab in labs:
            faults.left_out(lab)  # raises on a line without a reason


if __name__ == "__main__":
    unittest.main()
