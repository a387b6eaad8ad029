# Cài nút "SheetKPI" cho Excel trên máy Windows của Văn phòng (chạy một lần cho mỗi tài khoản Windows).
#
# Cách chạy: đóng Excel, bấm chuột phải vào tệp này > "Run with PowerShell", hoặc trong PowerShell:
#     powershell -ExecutionPolicy Bypass -File .\install.ps1
# (Windows PowerShell 5.1 có sẵn trong Windows; tệp lưu UTF-8 có BOM để hiện đúng tiếng Việt.)
# Các bước (giống macros/README.md): tìm Python, cài sheetkpi[excel] bằng pip, cài add-in xlwings,
# chép SheetKPI.xlam vào thư mục XLSTART của Excel (một Trusted Location sẵn có), ghi đường dẫn Python
# vào %USERPROFILE%\.sheetkpi\sheetkpi.conf để add-in tìm được trình thông dịch.

$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$AddIn = Join-Path $Here "SheetKPI.xlam"

function Stop-With($Message) {
    Write-Host ""
    Write-Host "LỖI: $Message" -ForegroundColor Red
    Read-Host "Bấm Enter để đóng"
    exit 1
}

if (Get-Process -Name EXCEL -ErrorAction SilentlyContinue) {
    Stop-With "Excel đang mở. Hãy lưu và đóng mọi cửa sổ Excel rồi chạy lại."
}
if (-not (Test-Path $AddIn)) {
    Stop-With "Không thấy $AddIn. Hãy chạy tệp này trong thư mục macros của sheetkpi."
}

# 1. Python: trình khởi chạy "py" của python.org, nếu không có thì "python" trên PATH
#    (bỏ qua lối tắt của Microsoft Store, nó không phải Python thật).
$Python = $null
foreach ($candidate in @("py -3", "python")) {
    try {
        $exe = & ([scriptblock]::Create("$candidate -c `"import sys; print(sys.executable)`"")) 2>$null
        if ($LASTEXITCODE -eq 0 -and $exe -and ($exe -notmatch "WindowsApps")) { $Python = $exe.Trim(); break }
    } catch { }
}
if (-not $Python) {
    Stop-With ("Chưa có Python. Tải bản Windows 64-bit tại python.org, khi cài đánh dấu " +
               "'Add python.exe to PATH', rồi chạy lại tệp này.")
}
Write-Host "Python: $Python"

# 2. sheetkpi với phần Excel (xlwings). Trong bản mã nguồn thì cài từ thư mục cha, nếu không thì từ PyPI.
$Source = Split-Path -Parent $Here
if (Test-Path (Join-Path $Source "pyproject.toml")) { $Package = "$Source[excel,memo]" } else { $Package = "sheetkpi[excel,memo]" }
& $Python -m pip install --upgrade $Package
if ($LASTEXITCODE -ne 0) { Stop-With "pip không cài được $Package (xem thông báo phía trên; kiểm tra mạng hoặc proxy)." }

# 3. Add-in xlwings (thẻ xlwings trong Excel, dùng để xem và chỉnh cấu hình Python).
& $Python -m xlwings.cli addin install
if ($LASTEXITCODE -ne 0) { Stop-With "Không cài được add-in xlwings." }

# 4. SheetKPI.xlam vào XLSTART: Excel tự mở mọi tệp ở đây và tin cậy macro của chúng.
Unblock-File -Path $AddIn   # bỏ dấu "tải từ Internet" để Office không chặn macro
& $Python -m xlwings.cli addin install --file $AddIn
if ($LASTEXITCODE -ne 0) { Stop-With "Không chép được SheetKPI.xlam vào thư mục XLSTART." }

# 5. Đường dẫn Python cho add-in SheetKPI (tệp cấu hình của dự án "sheetkpi" trong xlwings).
$ConfDir = Join-Path $env:USERPROFILE ".sheetkpi"
New-Item -ItemType Directory -Force -Path $ConfDir | Out-Null
$Conf = Join-Path $ConfDir "sheetkpi.conf"
# VBA đọc tệp này theo bảng mã ANSI của Windows ("Default" trong Windows PowerShell 5.1), kể cả khi
# đường dẫn có chữ tiếng Việt (ví dụ C:\Users\Nguyễn\...).
Set-Content -Path $Conf -Encoding Default -Value ('"INTERPRETER_WIN","' + $Python + '"')
Write-Host "Đã ghi $Conf"

Write-Host ""
Write-Host "Xong. Mở Excel: thẻ 'SheetKPI' có các nút 'Tính lại KPI', 'Kiểm tra', 'Giúp đỡ'." -ForegroundColor Green
Read-Host "Bấm Enter để đóng"
