"""The email that carries the workbook and the memo to leadership and departments (issue #4).

:func:`build_message` makes one message: subject "Báo cáo KPI tháng M/YYYY — <cơ quan>", the memo as
HTML and plain-text alternative bodies, the workbook and the Word memo attached. Everything is
7-bit on the wire: headers RFC 2047/2231 encoded, bodies quoted-printable, attachments base64.
:func:`write_eml` saves it as a draft Outlook opens unsent; :func:`send_smtp` sends it.
"""

from __future__ import annotations

import base64
import copy
import mimetypes
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path

from ..errors import EXIT_UNUSABLE, SheetkpiError, UsageError, os_error_message
from ..model import Evaluation
from ..workbook.safety import write_atomically

# Office types by suffix; the standard library's table misses some of them on older systems.
MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}
ATTACHED_MEMO_SUFFIXES = (".docx", ".pdf")  # the .html and .txt memo files become the bodies
SMTPS_PORT = 465  # implicit TLS ("SMTPS"); other ports are plain, upgraded with STARTTLS on request
SMTP_TIMEOUT_S = 30
HEADER_WIDTH = 70  # encoded-word lines stay below the policy's 78, so it never refolds them


class MailError(SheetkpiError):
    """The email cannot be written or sent (server unreachable, login refused, disk)."""

    exit_code = EXIT_UNUSABLE


def subject(evaluation: Evaluation) -> str:
    """"Báo cáo KPI tháng 6/2026 — BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"."""
    d = evaluation.as_of
    agency = evaluation.settings.agency.strip()
    return f"Báo cáo KPI tháng {d.month}/{d.year}" + (f" — {agency}" if agency else "")


def addresses(values, option: str) -> list[str]:
    """Validated addresses as given ("a@b.vn" or "Tên <a@b.vn>"); a wrong one is a usage error naming
    ``option``, where it was given."""
    out = []
    for value in values:
        if "\r" in value or "\n" in value:
            raise UsageError("mail-bad-address", f"Địa chỉ thư không hợp lệ ở {option}: {value!r}.")
        parsed = getaddresses([value])
        if not parsed or any(not addr or "@" not in addr or " " in addr for _, addr in parsed):
            raise UsageError("mail-bad-address", f"Địa chỉ thư không hợp lệ ở {option}: '{value}'.")
        out.append(value.strip())
    return out


def _encoded_text(name: str, value: str) -> str:
    """``value`` as RFC 2047 encoded words, folded so that no line (with "Name: ") passes 78 characters.

    The standard library's own folding of non-ASCII headers (Python 3.11 and others) loses the space
    between two encoded words at a fold ("QUẢN LÝ" arrives as "QUẢNLÝ"), so sheetkpi folds them itself.
    """
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=HEADER_WIDTH, header_name=name).encode(linesep="\r\n")


def _encoded_addresses(values: list[str]) -> str:
    """An address list header value: one address a line, display names encoded as words."""
    items = []
    for display, addr in getaddresses(values):
        if display.isascii():
            items.append(formataddr((display, addr)))
            continue
        words = Header(display, "utf-8", maxlinelen=HEADER_WIDTH).encode(linesep="\r\n")
        last = words.rsplit("\r\n", 1)[-1]
        gap = " " if len(last) + len(addr) + 4 <= HEADER_WIDTH else "\r\n "
        items.append(f"{words}{gap}<{addr}>")
    return ",\r\n ".join(items)


def _mime_type(path: Path) -> tuple[str, str]:
    full = MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    main, _, sub = full.partition("/")
    return main, sub


def _attach(msg: EmailMessage, path: Path) -> None:
    main, sub = _mime_type(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MailError(
            "mail-attachment-unreadable", f"Không đọc được tệp đính kèm '{path}': {exc.strerror or exc}."
        ) from exc
    msg.add_attachment(data, maintype=main, subtype=sub, filename=path.name)


def unit_addresses(text: str) -> list[str]:
    """The addresses of a unit's "Email" cell: one, or several separated by ";", "," or line breaks."""
    return [part.strip() for part in re.split(r"[;\n]|,(?![^<]*>)", text or "") if part.strip()]


def new_message(
    subject_text: str, *, to, cc=(), sender: str | None = None, to_option: str = "--to",
) -> EmailMessage:
    """An empty message with its headers: subject, From (when ``sender``), To, Cc, Date, Message-ID.

    ``to``/``cc`` are addresses ("a@b.vn" or "Tên <a@b.vn>"); ``to_option`` names where the
    recipients came from, for the message about a wrong one. Without ``sender`` the message has no
    From: the mail program (or :func:`send_smtp`) sets it.
    """
    recipients = addresses(to, to_option)
    if not recipients:
        raise UsageError("mail-no-recipient", f"Cần ít nhất một người nhận ({to_option}).")
    copies = addresses(cc, "--cc")
    msg = EmailMessage(policy=SMTP)
    # Pre-encoded and folded here (see _encoded_text); set_raw stores them as they are.
    msg.set_raw("Subject", _encoded_text("Subject", subject_text))
    if sender:
        msg.set_raw("From", _encoded_addresses(addresses([sender], "--from")))
    msg.set_raw("To", _encoded_addresses(recipients))
    if copies:
        msg.set_raw("Cc", _encoded_addresses(copies))
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=_domain(sender))
    return msg


def _domain(sender: str | None) -> str:
    return getaddresses([sender])[0][1].rpartition("@")[2] if sender else "sheetkpi.local"


def text_message(
    subject_text: str, text: str, *, to, cc=(), sender: str | None = None, to_option: str = "--to",
    attachments=(),
) -> EmailMessage:
    """A plain-text message (quoted-printable) with ``attachments`` (paths), headers as :func:`new_message`."""
    msg = new_message(subject_text, to=to, cc=cc, sender=sender, to_option=to_option)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for path in attachments:
        _attach(msg, Path(path))
    return msg


def build_message(
    evaluation: Evaluation,
    workbook: Path,
    memo_files,
    *,
    to,
    cc=(),
    sender: str | None = None,
    to_option: str = "--to",
) -> EmailMessage:
    """The monthly email: memo .html and .txt (from ``memo_files``) as bodies; workbook and memo attached.

    ``memo_files`` is what :func:`sheetkpi.outputs.memo.write_memo` returned; its .docx (and .pdf, if
    any) are attached after the workbook. Headers as :func:`new_message` makes them.
    """
    memo = {Path(f).suffix.lower(): Path(f) for f in memo_files}
    missing = [s for s in (".docx", ".html", ".txt") if s not in memo]
    if missing:
        raise MailError(
            "mail-memo-missing",
            f"Thiếu tệp báo cáo {', '.join(missing)} để soạn thư; hãy tạo báo cáo trước (sheetkpi memo).",
        )
    try:
        text = memo[".txt"].read_text(encoding="utf-8")
        html = memo[".html"].read_text(encoding="utf-8")
    except OSError as exc:
        raise MailError("mail-memo-unreadable", f"Không đọc được tệp báo cáo: {exc.strerror or exc}.") from exc

    msg = new_message(subject(evaluation), to=to, cc=cc, sender=sender, to_option=to_option)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    html, images = _inline_images(html, _domain(sender))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    body = msg.get_payload()[-1]
    for cid, png in images:
        # multipart/related: mail programs show it inside the page (most block data: addresses).
        body.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename="bieu-do.png")
    _attach(msg, Path(workbook))
    for suffix in ATTACHED_MEMO_SUFFIXES:
        if suffix in memo:
            _attach(msg, memo[suffix])
    return msg


_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _inline_images(html: str, domain: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The page with each embedded PNG (the memo's chart) pointing to an inline part instead."""
    images: list[tuple[str, bytes]] = []

    def to_cid(match: re.Match) -> str:
        cid = make_msgid(idstring=f"bieu-do-{len(images) + 1}", domain=domain)[1:-1]
        images.append((cid, base64.b64decode(match.group(1))))
        return f'src="cid:{cid}"'

    return _DATA_PNG.sub(to_cid, html), images


def write_eml(msg: EmailMessage, path: Path) -> Path:
    """Save ``msg`` as an .eml draft (``X-Unsent: 1``: Outlook opens it ready to edit and send)."""
    draft = copy.deepcopy(msg)
    del draft["X-Unsent"]
    draft["X-Unsent"] = "1"
    path = Path(path)
    try:
        data = draft.as_bytes(policy=SMTP)
        write_atomically(path, lambda tmp: tmp.write_bytes(data))
    except OSError as exc:
        raise MailError("eml-write-failed", f"Không ghi được thư nháp '{path}': {os_error_message(exc)}") from exc
    return path


@dataclass
class Delivery:
    """What the server did with one message: the recipients it refused (address → reason), and why it
    took none of them (every recipient refused, the message itself refused), if so."""

    refused: dict[str, str] = field(default_factory=dict)
    failure: str | None = None

    @property
    def delivered(self) -> bool:
        return self.failure is None


def send_smtp(
    msg: EmailMessage,
    host: str,
    port: int,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
) -> dict[str, str]:
    """Send ``msg`` through an SMTP server; returns the recipients the server refused (address → reason).

    Port 465 speaks TLS from the start; on other ports ``starttls`` upgrades the connection before
    logging in. Without a From header, ``user`` (when it is an address) becomes the sender.
    """
    (delivery,) = send_all([msg], host, port, starttls=starttls, user=user, password=password)
    if not delivery.delivered:
        raise MailError("smtp-recipients-refused", delivery.failure)
    return delivery.refused


def send_all(
    messages: list[EmailMessage],
    host: str,
    port: int,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
) -> list[Delivery]:
    """Send ``messages`` over one connection (as :func:`send_smtp`); one :class:`Delivery` per message.

    A message whose recipients are all refused, or that the server refuses on its own, does not stop
    the others: its Delivery says why. What concerns every message (the connection, the login, the
    sender) raises :class:`MailError`.
    """
    for msg in messages:
        if msg["From"] is None:
            if not user or "@" not in user:
                raise UsageError(
                    "mail-no-sender", "Chưa có địa chỉ người gửi: ghi 'Email gửi' trong 'Cấu hình', hoặc dùng "
                    "--from ĐỊA_CHỈ (hoặc --user là một địa chỉ thư)."
                )
            msg["From"] = user
    where = f"{host}:{port}"
    step = "connect"
    deliveries: list[Delivery] = []
    try:
        if port == SMTPS_PORT:
            server = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
        with server:
            if starttls:
                step = "starttls"
                server.starttls(context=ssl.create_default_context())
            if user:
                step = "login"
                _login(server, user, password or "")
            step = "send"
            for msg in messages:
                deliveries.append(_send_one(server, msg, where))
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            "smtp-auth", f"Máy chủ thư {where} từ chối đăng nhập của '{user}': sai tên đăng nhập hoặc mật khẩu "
            f"({_reply(exc)})."
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        if step == "starttls":
            text = f"Máy chủ thư {where} không hỗ trợ STARTTLS; bỏ --starttls hoặc dùng cổng {SMTPS_PORT}."
        else:
            text = (f"Máy chủ thư {where} không cho đăng nhập trên kết nối này; thử thêm --starttls (thường ở cổng "
                    f"587) hoặc dùng cổng {SMTPS_PORT}.")
        raise MailError("smtp-not-supported", text) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            "smtp-sender-refused", f"Máy chủ thư {where} từ chối địa chỉ người gửi '{exc.sender}' ({_reply(exc)})."
            + _sent_before(deliveries)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError("smtp-error", f"Máy chủ thư {where} báo lỗi, thư chưa được gửi ({_reply(exc)})."
                        + _sent_before(deliveries)) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise MailError(
            "smtp-disconnected", f"Máy chủ thư {where} ngắt kết nối giữa chừng; thư chưa được gửi."
            + _sent_before(deliveries)
        ) from exc
    except smtplib.SMTPException as exc:
        raise MailError("smtp-error", f"Lỗi khi gửi thư qua {where}: {exc}. Thư chưa được gửi."
                        + _sent_before(deliveries)) from exc
    except ssl.SSLError as exc:
        raise MailError(
            "smtp-tls", f"Không thiết lập được kết nối mã hóa (TLS) với máy chủ thư {where}: {exc.reason or exc}."
        ) from exc
    except ConnectionRefusedError as exc:
        raise MailError(
            "smtp-connect", f"Không kết nối được máy chủ thư {where}: máy chủ từ chối kết nối. Kiểm tra địa chỉ, cổng "
            "và tường lửa."
        ) from exc
    except socket.gaierror as exc:
        raise MailError("smtp-connect", f"Không tìm thấy máy chủ thư '{host}'. Kiểm tra lại tên máy chủ.") from exc
    except TimeoutError as exc:
        raise MailError("smtp-timeout", f"Máy chủ thư {where} không trả lời sau {SMTP_TIMEOUT_S} giây.") from exc
    except OSError as exc:
        raise MailError("smtp-connect", f"Không kết nối được máy chủ thư {where}: {exc.strerror or exc}."
                        + _sent_before(deliveries)) from exc
    return deliveries


def _send_one(server: smtplib.SMTP, msg: EmailMessage, where: str) -> Delivery:
    """One message over an open connection; what only this message meets is its Delivery."""
    try:
        refused = server.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        # smtplib has reset the transaction: the connection serves the next message.
        reasons = {addr: _reply_text(code, text) for addr, (code, text) in exc.recipients.items()}
        return Delivery(reasons, f"Máy chủ thư {where} từ chối mọi người nhận: {', '.join(reasons)}.")
    except smtplib.SMTPDataError as exc:
        return Delivery({}, f"Máy chủ thư {where} không nhận thư ({_reply(exc)}).")
    return Delivery({addr: _reply_text(code, text) for addr, (code, text) in refused.items()})


def _sent_before(deliveries: list[Delivery]) -> str:
    """What a failure midway leaves: the messages sent before it are gone already."""
    sent = sum(1 for d in deliveries if d.delivered)
    return f" {sent} thư trước đó đã được gửi." if sent else ""


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; credentials with Vietnamese letters go as UTF-8 AUTH PLAIN (RFC 4616), which smtplib cannot."""
    if (user + password).isascii():
        server.login(user, password)
        return
    server.ehlo_or_helo_if_needed()
    if "PLAIN" not in server.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("AUTH PLAIN is not offered")
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = server.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _reply_text(exc.smtp_code, exc.smtp_error)


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()
