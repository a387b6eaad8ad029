"""Write docs/cli.md: the `--help` of sheetkpi and of each of its commands, as they print.

Run after changing an option: `python scripts/build_cli_docs.py`. tests/test_cli.py fails while
docs/cli.md and the command line disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAD = """# Các lệnh của sheetkpi

Trang này chép nguyên văn phần `--help` của từng lệnh (do `scripts/build_cli_docs.py` tạo; một kiểm thử
báo lỗi khi trang này và lệnh thực tế khác nhau). Cách dùng hằng tháng: README.md.
"""


def help_text(args: list[str]) -> str:
    """What `sheetkpi ARGS --help` prints, at a fixed width."""
    import contextlib
    import io
    import os

    from sheetkpi import cli

    os.environ["COLUMNS"] = "100"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli.parse_args([*args, "--help"])
    return out.getvalue()


def render() -> str:
    """The whole page."""
    from sheetkpi import cli

    parts = [HEAD, "## sheetkpi\n", "```\n" + help_text([]) + "```\n"]
    for name in cli.build_parser().subcommands:
        parts += [f"## sheetkpi {name}\n", "```\n" + help_text([name]) + "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render(), encoding="utf-8")
    print("docs/cli.md")
