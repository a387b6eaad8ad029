# Chạy kiểm thử nghiệm thu nút "Tính lại KPI" trên Excel thật (Windows có Microsoft Excel).
# Chạy trong thư mục gốc của sheetkpi:   powershell -ExecutionPolicy Bypass -File tests\excel_acceptance.ps1
# Tùy chọn: -Python "C:\đường\dẫn\python.exe" (mặc định: py -3, nếu không có thì python trên PATH).
# Kiểm thử mở một Excel riêng, nạp macros\SheetKPI.xlam, bấm nút bằng Application.Run trên bản sao của
# bảng mẫu, lưu, rồi so từng ô do sheetkpi ghi với kết quả của lệnh "sheetkpi recalc" (docs/excel.md).
param([string]$Python = "")
$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent (Split-Path -Parent $MyInvocation.MyCommand.Path)
Set-Location $Root
if (-not $Python) {
    $Python = (& py -3 -c "import sys; print(sys.executable)" 2>$null)
    if (-not $Python) { $Python = (& python -c "import sys; print(sys.executable)") }
}
Write-Host "Python: $Python"
Unblock-File -Path (Join-Path $Root "macros\SheetKPI.xlam")  # không để Office chặn macro của tệp tải về
& $Python -m pip install -e ".[excel,memo,test]"
if ($LASTEXITCODE -ne 0) { throw "pip không cài được sheetkpi[excel,memo,test]" }
& $Python -m pytest -m excel -v tests\test_excel_acceptance.py
exit $LASTEXITCODE
