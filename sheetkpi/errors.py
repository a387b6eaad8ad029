"""Errors that stop a run. Each carries a stable code, a Vietnamese message and the CLI exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_UNUSABLE = 3
EXIT_NO_UNITS = 4


class SheetkpiError(Exception):
    """Base class: ``code`` is kebab-case and stable, ``message`` is for people."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):
        # As made, not from ``args`` (the message alone): an error raised while a unit tab is read in
        # another process comes back whole.
        return (self.__class__, (self.code, self.message))


class FileUnusable(SheetkpiError):
    """The file cannot be used: missing, not a workbook, encrypted, locked, corrupt. Nothing written."""

    exit_code = EXIT_UNUSABLE


class NoUnitTab(SheetkpiError):
    """The workbook has no unit tab, or a declared unit tab lacks required columns. Nothing written."""

    exit_code = EXIT_NO_UNITS


class UsageError(SheetkpiError):
    """A wrong argument (a date that does not parse, an unknown option value)."""

    exit_code = EXIT_USAGE


def os_error_message(exc: OSError) -> str:
    """What a system error means for the person running sheetkpi, in Vietnamese."""
    import errno

    where = f" ('{exc.filename}')" if exc.filename else ""
    messages = {
        errno.ENOSPC: f"Ổ đĩa đã đầy, không ghi được{where}. Hãy giải phóng chỗ trống rồi chạy lại.",
        errno.EDQUOT: f"Đã hết hạn mức dung lượng của tài khoản, không ghi được{where}.",
        errno.ENAMETOOLONG: f"Tên tệp quá dài cho ổ đĩa này{where}. Hãy đặt tên ngắn hơn rồi chạy lại.",
        errno.EACCES: f"Không có quyền truy cập{where}. Hãy kiểm tra quyền của tệp và thư mục.",
        errno.EPERM: f"Hệ điều hành không cho phép thao tác này{where}.",
        errno.EROFS: f"Ổ đĩa chỉ cho phép đọc{where}. Hãy chép bảng tính sang nơi ghi được.",
        errno.EIO: f"Lỗi đọc/ghi của ổ đĩa{where}. Hãy kiểm tra ổ đĩa rồi chạy lại.",
        errno.EFBIG: f"Tệp lớn hơn mức hệ thống cho phép ghi{where}.",
    }
    return messages.get(exc.errno, f"Lỗi hệ thống: {exc.strerror or exc}{where}.")
