"""The command line as people meet it: Vietnamese usage errors, the right usage for a misspelt
option, output files checked, progress and a summary for long runs, and docs that say what
`--help` says."""

from __future__ import annotations

import io
import re
import shutil
import sys

import pytest

from sheetkpi import cli

from support import AS_OF, EXAMPLE, ROOT, run_cli

sys.path.insert(0, str(ROOT / "scripts"))
import build_cli_docs  # noqa: E402  (scripts/ is not a package)

ENGLISH = re.compile(r"\b(?:usage|error|argument|arguments|invalid|choice|required|unrecognized|expected|options)\b",
                     re.IGNORECASE)


def test_docs_cli_is_what_help_prints():
    # docs/cli.md is written by scripts/build_cli_docs.py: run it after changing an option.
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == build_cli_docs.render()


def test_readme_names_every_command_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(cli.build_parser().subcommands)
    named = set(re.findall(r"`sheetkpi ([a-z]+)", readme))
    assert commands <= named, commands - named
    assert named <= commands, named - commands


@pytest.mark.parametrize("args, usage", [
    (["chek", "x.xlsx"], "Cách dùng: sheetkpi [-h]"),
    (["recalc", "x.xlsx", "--as-off", "25/06/2026"], "Cách dùng: sheetkpi recalc"),
    (["check"], "Cách dùng: sheetkpi check"),
    (["check", "x.xlsx", "--as-of", "31/31/2026"], "Cách dùng: sheetkpi check"),
    (["mail", "x.xlsx", "--to", "a@b.vn", "--smtp", "mail.gov.vn"], "Cách dùng: sheetkpi mail"),
    (["mail", "x.xlsx", "--to", "a@b.vn"], "Cách dùng: sheetkpi mail"),
])
def test_usage_errors_are_vietnamese_and_show_the_commands_usage(args, usage):
    proc = run_cli(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(usage), proc.stderr
    assert "lỗi:" in proc.stderr and not ENGLISH.search(proc.stderr), proc.stderr


def test_a_misspelt_command_gets_a_suggestion():
    assert "Có phải là 'sheetkpi check'?" in run_cli("chek", "x.xlsx").stderr


def test_a_file_name_starting_with_a_dash_gets_a_hint(tmp_path):
    shutil.copyfile(EXAMPLE, tmp_path / "-bang.xlsx")
    proc = run_cli("check", "-bang.xlsx", cwd=tmp_path)
    assert proc.returncode == 2 and "./-bang.xlsx" in proc.stderr and "--" in proc.stderr
    assert run_cli("check", "--as-of", AS_OF, "--", "-bang.xlsx", cwd=tmp_path).returncode == 0


def test_output_must_be_a_workbook_and_its_folder_is_made(tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF, "-o", str(tmp_path / "r.txt"))
    assert proc.returncode == 2 and "phải có đuôi .xlsx" in proc.stderr and not (tmp_path / "r.txt").exists()
    out = tmp_path / "ket-qua" / "thang-6" / "BangGiaoKPI.xlsx"
    proc = run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo", "-o", str(out))
    assert proc.returncode == 0 and out.is_file(), proc.stderr


def test_check_into_a_closed_pipe_is_quiet():
    proc = run_cli("check", str(EXAMPLE), "--as-of", AS_OF, "--json")  # the whole output, for its size
    assert len(proc.stdout) > 4096
    import subprocess

    shell = f"{sys.executable} -m sheetkpi check '{EXAMPLE}' --as-of {AS_OF} --json | head -1"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "{" and done.stderr == ""


def test_a_long_run_shows_progress_and_a_summary(tmp_path, monkeypatch, capsys):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    monkeypatch.setattr(cli, "PROGRESS_AFTER_S", 0.0)  # the example is quick; a real run takes seconds
    assert cli.main(["recalc", str(book), "--as-of", AS_OF, "--no-memo"]) == 0
    out, err = capsys.readouterr()
    assert "Đọc trang tính…" in err and "Ghi trang tính…" in err  # one line per stage: stderr is not a terminal
    # The summary counts warnings by kind and says where the details are; --verbose lists them.
    assert "Cảnh báo (10): Nguy cơ chậm tiến độ 5; Quá hạn 2;" in out and "--verbose" in out
    assert "[at-risk]" not in out
    assert cli.main(["recalc", str(book), "--as-of", AS_OF, "--no-memo", "--verbose"]) == 0
    assert capsys.readouterr().out.count("[at-risk]") == 5


def test_progress_rewrites_one_line_in_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(cli, "PROGRESS_AFTER_S", 0.0)
    progress = cli._Progress(term)
    for done in range(1, 4):
        progress("Đọc trang tính", done, 3)
    progress.clear()
    assert term.getvalue().startswith("\rĐọc trang tính: 1/3") and "\n" not in term.getvalue()
    assert term.getvalue().endswith("\r")


def test_argparse_speaks_vietnamese_only_while_sheetkpi_parses():
    import argparse

    cli.build_parser()
    assert argparse._("usage: ") == "usage: "
