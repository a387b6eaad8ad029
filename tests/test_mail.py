"""The monthly email: built from the example, written as a draft, sent to a real SMTP server on loopback."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
from email.header import decode_header, make_header
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from sheetkpi.api import check
from sheetkpi.errors import UsageError
from sheetkpi.outputs.mail import MailError, build_message, send_smtp, write_eml
from sheetkpi.outputs.memo import write_memo

from support import AS_OF, EXAMPLE, ROOT, free_port, smtp_server

SUBJECT = "Báo cáo KPI tháng 6/2026 — BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SENDER = "Văn phòng Ban <vanphong@kkt.example.vn>"
TO = [
    "Lãnh đạo Ban <lanhdao@kkt.example.vn>",
    "khdt@kkt.example.vn",
    # Long enough to be folded: Python's own folding would lose spaces inside it.
    "Ban Quản lý dự án đầu tư xây dựng khu vực Khu kinh tế Đông Nam Nghệ An <bqlda@kkt.example.vn>",
]
CC = ["Phòng Xây dựng và Môi trường <xdmt@kkt.example.vn>"]
USER, PASSWORD = "vanphong@kkt.example.vn", "mật-khẩu-đúng"


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mail")
    workbook = folder / "Bảng giao KPI.xlsx"  # a Vietnamese file name travels RFC 2231-encoded
    shutil.copyfile(EXAMPLE, workbook)
    evaluation = check(workbook, as_of=AS_OF)
    memo = write_memo(evaluation, folder)
    return evaluation, workbook, memo


@pytest.fixture
def message(parts):
    evaluation, workbook, memo = parts
    return build_message(evaluation, workbook, memo, to=TO, cc=CC, sender=SENDER)


def _check_received(raw: bytes, workbook: Path, memo: list[Path]) -> None:
    """What a mail client sees: decoded subject, both bodies, the attachments byte-identical."""
    msg = email.message_from_bytes(raw, policy=default)
    assert msg["Subject"] == SUBJECT
    assert msg.get_content_type() == "multipart/mixed"
    files = {p.suffix: p for p in memo}
    text = msg.get_body(("plain",))
    page = msg.get_body(("html",))
    assert text["Content-Transfer-Encoding"] == page["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content().replace("\r\n", "\n") == files[".txt"].read_text(encoding="utf-8")
    # The page is the memo's, its chart an inline part of the message instead of a data: address.
    html = files[".html"].read_text(encoding="utf-8")
    inline = re.search(r'src="cid:([^"]+)"', page.get_content()).group(1)
    assert page.get_content().replace("\r\n", "\n") == re.sub(r'src="data:image/png;base64,[^"]+"',
                                                               f'src="cid:{inline}"', html)
    chart = next(p for p in msg.walk() if p["Content-ID"] == f"<{inline}>")
    assert chart.get_content_type() == "image/png" and chart.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert msg.get_body(("related",)).get_content_type() == "multipart/related"
    assert "Nghệ An, ngày 25 tháng 6 năm 2026" in text.get_content()
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {workbook.name, files[".docx"].name}
    sheet, memo_doc = attachments[workbook.name], attachments[files[".docx"].name]
    assert sheet.get_content_type() == XLSX and memo_doc.get_content_type() == DOCX
    assert sheet["Content-Transfer-Encoding"] == "base64"
    assert sheet.get_content() == workbook.read_bytes()
    assert memo_doc.get_content() == files[".docx"].read_bytes()


def test_message_is_seven_bit_and_complete(message, parts):
    _, workbook, memo = parts
    raw = message.as_bytes()
    assert max(raw) < 128, "never raw 8-bit"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    headers = raw.split(b"\r\n\r\n")[0]
    assert b"=?utf-8?" in headers, "Vietnamese headers RFC 2047 encoded"
    assert max(len(line) for line in headers.split(b"\r\n")) <= 78
    _check_received(raw, workbook, memo)
    parsed = email.message_from_bytes(raw, policy=default)
    assert [a.display_name for a in parsed["To"].addresses][:2] == ["Lãnh đạo Ban", ""]
    # RFC 2047 §6.2: white space between adjacent encoded words is dropped. email.headerregistry keeps
    # it inside display names (a Python quirk), so the long name is checked with the RFC decoder.
    legacy = email.message_from_bytes(raw)
    assert str(make_header(decode_header(legacy["To"]))).endswith(TO[2])
    assert parsed["Cc"].addresses[0].display_name == "Phòng Xây dựng và Môi trường"
    assert parsed["From"].addresses[0].display_name == "Văn phòng Ban"
    assert parsed["X-Unsent"] is None


def test_eml_draft_opens_unsent(message, parts, tmp_path):
    _, workbook, memo = parts
    path = write_eml(message, tmp_path / "BaoCaoKPI.eml")
    raw = path.read_bytes()
    assert max(raw) < 128 and b"\r\n" in raw
    draft = email.message_from_bytes(raw, policy=default)
    assert draft["X-Unsent"] == "1"
    assert message["X-Unsent"] is None, "the message given is left as it was"
    _check_received(raw, workbook, memo)


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    # handled=False: the server itself answers a failure with 535.
    return AuthResult(success=True) if ok else AuthResult(success=False, handled=False)


@pytest.fixture
def server():
    with smtp_server(authenticator=_authenticator, auth_require_tls=False) as running:
        yield running


def test_send_to_a_real_smtp_server(message, parts, server):
    controller, inbox = server
    _, workbook, memo = parts
    refused = send_smtp(message, controller.hostname, controller.port, user=USER, password=PASSWORD)
    assert refused == {}
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "vanphong@kkt.example.vn"
    assert sorted(envelope.rcpt_tos) == [
        "bqlda@kkt.example.vn", "khdt@kkt.example.vn", "lanhdao@kkt.example.vn", "xdmt@kkt.example.vn"]
    assert max(envelope.original_content) < 128
    _check_received(envelope.original_content, workbook, memo)


def test_without_from_the_login_becomes_the_sender(parts, server):
    controller, inbox = server
    evaluation, workbook, memo = parts
    msg = build_message(evaluation, workbook, memo, to=TO)
    send_smtp(msg, controller.hostname, controller.port, user=USER, password=PASSWORD)
    assert inbox.envelopes[0].mail_from == USER
    with pytest.raises(UsageError, match="người gửi"):
        send_smtp(build_message(evaluation, workbook, memo, to=TO), controller.hostname, controller.port)


def test_wrong_password_is_a_vietnamese_error(message, server):
    controller, inbox = server
    with pytest.raises(MailError) as info:
        send_smtp(message, controller.hostname, controller.port, user=USER, password="sai")
    assert info.value.code == "smtp-auth" and info.value.exit_code == 3
    assert "từ chối đăng nhập" in info.value.message and USER in info.value.message
    assert inbox.envelopes == []


def test_starttls_on_a_server_without_it_is_a_vietnamese_error(message, server):
    controller, _ = server
    with pytest.raises(MailError, match="không hỗ trợ STARTTLS") as info:
        send_smtp(message, controller.hostname, controller.port, starttls=True)
    assert info.value.code == "smtp-not-supported"


def test_connection_refused_is_a_vietnamese_error(message):
    port = free_port()  # nothing listens there
    with pytest.raises(MailError) as info:
        send_smtp(message, "127.0.0.1", port)
    assert info.value.code == "smtp-connect" and info.value.exit_code == 3
    assert f"Không kết nối được máy chủ thư 127.0.0.1:{port}" in info.value.message


@pytest.mark.parametrize("to", [["không-phải-địa-chỉ"], ["a@b.vn\r\nBcc: x@y.vn"], []])
def test_bad_recipients_are_usage_errors(parts, to):
    evaluation, workbook, memo = parts
    with pytest.raises(UsageError) as info:
        build_message(evaluation, workbook, memo, to=to)
    assert info.value.exit_code == 2


def test_memo_files_are_required(parts):
    evaluation, workbook, memo = parts
    docx_only = [p for p in memo if p.suffix == ".docx"]
    with pytest.raises(MailError, match=r"Thiếu tệp báo cáo \.html, \.txt"):
        build_message(evaluation, workbook, docx_only, to=TO)


# --- the command line --------------------------------------------------------------------------

def _cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    if password is not None:
        env["SHEETKPI_SMTP_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "sheetkpi", *args], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_sheetkpi_mail_smtp_delivers_the_report(parts, server):
    controller, inbox = server
    _, workbook, _ = parts
    proc = _cli("mail", str(workbook), "--as-of", AS_OF, "--to", *TO, "--cc", *CC, "--from", SENDER,
                "--smtp", f"{controller.hostname}:{controller.port}", "--user", USER, password=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert SUBJECT in proc.stdout
    (envelope,) = inbox.envelopes
    msg = email.message_from_bytes(envelope.original_content, policy=default)
    assert msg["Subject"] == SUBJECT
    assert "Nghệ An, ngày 25 tháng 6 năm 2026" in msg.get_body(("plain",)).get_content()
    assert "Nghệ An, ngày 25 tháng 6 năm 2026" in msg.get_body(("html",)).get_content()
    attachments = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert attachments[workbook.name] == workbook.read_bytes()
    assert "BaoCaoKPI-2026-06.docx" in attachments


def test_sheetkpi_mail_wrong_password_exits_3(parts, server):
    controller, inbox = server
    _, workbook, _ = parts
    proc = _cli("mail", str(workbook), "--as-of", AS_OF, "--to", TO[0], "--from", SENDER,
                "--smtp", f"{controller.hostname}:{controller.port}", "--user", USER, password="sai")
    assert proc.returncode == 3
    assert "từ chối đăng nhập" in proc.stderr and "Traceback" not in proc.stderr
    assert inbox.envelopes == []


def test_sheetkpi_mail_eml_writes_a_draft(parts, tmp_path):
    _, workbook, _ = parts
    target = tmp_path / "nhap.eml"
    proc = _cli("mail", str(workbook), "--as-of", AS_OF, "--to", TO[0], "--eml", str(target))
    assert proc.returncode == 0, proc.stderr
    draft = email.message_from_bytes(target.read_bytes(), policy=default)
    assert draft["X-Unsent"] == "1" and draft["Subject"] == SUBJECT
