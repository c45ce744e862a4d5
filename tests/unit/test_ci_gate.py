"""tests/ci_gate.py: under CI=true a skipped or xfail test fails the run, unless ALLOWED names it."""

from __future__ import annotations

import pytest

from tests import ci_gate

pytest_plugins = ["pytester"]

SAMPLE = """
import pytest

def test_passes():
    pass

def test_skipped():
    pytest.skip("no widget here")

@pytest.mark.xfail(reason="known gap", strict=True)
def test_xfails():
    assert False
"""


def run(pytester, monkeypatch, ci, source=SAMPLE):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_sample=source)
    return pytester.runpytest("-p", "tests.ci_gate", "-p", "no:cacheprovider")


def test_without_ci_a_skip_passes(pytester, monkeypatch):
    result = run(pytester, monkeypatch, None)
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*CI=true*")


@pytest.mark.parametrize("ci", ["false", ""])
def test_ci_other_than_true_changes_nothing(pytester, monkeypatch, ci):
    assert run(pytester, monkeypatch, ci).ret == pytest.ExitCode.OK


def test_under_ci_a_skip_or_xfail_fails_the_run(pytester, monkeypatch):
    result = run(pytester, monkeypatch, "true")
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*CI=true: skipped and xfail tests*",
        "SKIPPED test_sample.py::test_skipped - no widget here [[]fails the run[]]",
        "XFAILED test_sample.py::test_xfails - known gap [[]fails the run[]]",
        "CI=true: 2 test(s) did not run to a pass*",
    ])


def test_under_ci_a_module_skipped_at_collection_fails_the_run(pytester, monkeypatch):
    result = run(pytester, monkeypatch, "true", 'import pytest\npytest.importorskip("no_such_module_here")\n')
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["SKIPPED test_sample.py - *no_such_module_here* [[]fails the run[]]"])


def test_under_ci_an_xpass_fails_the_run(pytester, monkeypatch):
    source = 'import pytest\n\n@pytest.mark.xfail(reason="was broken")\ndef test_now_fixed():\n    pass\n'
    result = run(pytester, monkeypatch, "true", source)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["XPASSED test_sample.py::test_now_fixed - was broken [[]fails the run[]]"])


def test_under_ci_an_allowed_skip_passes(pytester, monkeypatch):
    monkeypatch.setattr(ci_gate, "ALLOWED", {"test_sample.py::test_skipped": "needs a widget",
                                             "test_sample.py::test_xfails": "upstream bug"})
    result = run(pytester, monkeypatch, "true")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["SKIPPED test_sample.py::test_skipped - no widget here [[]allowed: needs a widget[]]"])


def test_under_ci_a_real_failure_keeps_its_status(pytester, monkeypatch):
    result = run(pytester, monkeypatch, "true", "def test_fails():\n    assert False\n")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.no_fnmatch_line("*CI=true*")
