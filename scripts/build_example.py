"""Write examples/nghe-an-2026/BangGiaoKPI.xlsx (or the path given as the only argument).

All 32 KPIs of the Nghệ An 2026 plan (../shared/seeds/nghe-an-2026-ke-hoach-giao-kpi.txt) as the plan
writes them, with sample progress as departments would have typed it by 25/06/2026, and two earlier
report dates in "Lịch sử".
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sheetkpi.workbook.builder import KpiSpec, UnitSpec, build_workbook, default_settings  # noqa: E402

OUTPUT = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"
REPORT_DATE = dt.date(2026, 6, 25)
HISTORY_DATES = (dt.date(2026, 4, 25), dt.date(2026, 5, 25))
END_2026 = "31/12/2026"
APPROVAL = "Quyết định chấp thuận chủ trương đầu tư đồng thời chấp thuận nhà đầu tư."

SETTINGS = {
    **default_settings(2026),
    "parent_agency": "UBND TỈNH NGHỆ AN",
    "agency": "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN",
    "office": "Văn phòng",
    "plan_start": dt.date(2026, 1, 1),
    "cutoff_day": 25,
    "report_date": REPORT_DATE,
    "place": "Nghệ An",
    "doc_symbol": "BC-VP",
    "signer": "Nguyễn Văn A",
    "signer_title": "CHÁNH VĂN PHÒNG",
    "risk_threshold": 25,
    "band_excellent": 90,
    "band_good": 70,
    "band_pass": 50,
    "sender": "Văn phòng Ban <vanphong@kkt.example.vn>",
}

KHDT = [
    KpiSpec(
        "KHĐT-01", "Nghị quyết của HĐND tỉnh về chính sách hỗ trợ tiếp cận đất đai, mặt bằng sản xuất kinh "
        "doanh trong khu công nghiệp trên địa bàn tỉnh", 20, "Kỳ họp HĐND tỉnh giữa năm 2026",
        output="Nghị quyết của HĐND tỉnh", progress=90,
        result="Đã hoàn thiện dự thảo Nghị quyết sau khi tiếp thu ý kiến thẩm định của Sở Tư pháp; UBND tỉnh "
        "đã có Tờ trình gửi HĐND tỉnh ngày 10/6/2026, chờ thông qua tại Kỳ họp giữa năm."),
    KpiSpec(
        "KHĐT-02", "Báo cáo tiến độ, kết quả các công trình, dự án trọng điểm theo Quyết định số 291-QĐ/TU "
        "ngày 17/12/2025 của Ban Thường vụ Tỉnh ủy", 20, "theo định kỳ hàng tuần, hàng tháng",
        output="Báo cáo định kỳ gửi Sở Tài chính.", progress=50,
        result="Đã gửi Sở Tài chính đúng hạn 25 báo cáo tuần và 05 báo cáo tháng.",
        obstacles="Một số nhà đầu tư chậm cung cấp số liệu giải ngân, phải đôn đốc nhiều lần."),
    KpiSpec(
        "KHĐT-03", "Thu hút đầu tư cấp mới, điều chỉnh năm 2026", 20, END_2026,
        output="(i) Số lượng dự án 20 – 25 dự án; (ii) tổng vốn đầu tư 35.000 ÷ 40.000 tỷ đồng; trong đó vốn "
        "FDI khoảng 1,4 ÷ 1,6 tỷ đô la Mỹ; (iii) tổ chức 02 Đoàn công tác cấp tỉnh xúc tiến đầu tư tại Hàn "
        "Quốc, Trung Quốc.", progress="45,5",
        result="Cấp mới 09 dự án, điều chỉnh 14 dự án; vốn đăng ký cấp mới và tăng thêm khoảng 16.800 tỷ đồng "
        "(FDI khoảng 0,62 tỷ USD). Đã tổ chức Đoàn xúc tiến đầu tư tại Hàn Quốc tháng 5/2026.",
        obstacles="Đoàn xúc tiến tại Trung Quốc dự kiến tháng 10/2026; đề nghị sớm bố trí kinh phí."),
    KpiSpec(
        "KHĐT-04", "Dự án đầu tư xây dựng và kinh doanh cảng nước sâu Cửa Lò", 10, "30/4/2026",
        output=APPROVAL, progress=70,
        result="Đã trình UBND tỉnh hồ sơ chấp thuận chủ trương đầu tư; các bộ, ngành đã có ý kiến, nhà đầu tư "
        "đang hoàn thiện hồ sơ theo góp ý.",
        obstacles="Chậm so với hạn 30/4/2026 do chờ ý kiến của Bộ Quốc phòng về khu vực biển. Đề xuất Lãnh "
        "đạo Ban báo cáo UBND tỉnh có văn bản đôn đốc và lùi mốc hoàn thành đến 31/7/2026."),
    KpiSpec(
        "KHĐT-05", "Dự án đầu tư xây dựng và kinh doanh kết cấu hạ tầng Khu B – Khu công nghiệp Thọ Lộc", 10,
        "30/6/2026", output=APPROVAL, progress=40,
        result="Nhà đầu tư đã nộp hồ sơ đề xuất dự án; Ban đang lấy ý kiến các sở, ngành.",
        obstacles="Hồ sơ phải bổ sung đánh giá sơ bộ tác động môi trường và phương án GPMB, khó hoàn thành "
        "trước 30/6/2026. Đề xuất điều chỉnh thời hạn sang quý III/2026."),
    KpiSpec(
        "KHĐT-06", "Dự án Khu công nghiệp VSIP 4 Nghệ An", 10, "30/9/2026", output=APPROVAL, progress=50,
        result="Đã tổ chức thẩm định hồ sơ; nhà đầu tư đang bổ sung hồ sơ theo yêu cầu của Bộ Tài chính.",
        obstacles="Tiến độ điều chỉnh giảm từ 55% xuống 50% do Bộ Tài chính yêu cầu làm rõ sự phù hợp với "
        "quy hoạch tỉnh."),
    KpiSpec(
        "KHĐT-07", "Dự án khu đô thị, du lịch nghỉ dưỡng và thể thao phía Nam đường N2 (giai đoạn 1)", 10,
        END_2026, output="Quyết định chấp thuận chủ trương đầu tư; lựa chọn nhà đầu tư.", progress=0,
        result="Chưa triển khai, chờ điều chỉnh quy hoạch phân khu phía Nam đường N2.",
        obstacles="Đề nghị Phòng Xây dựng và Môi trường đẩy nhanh điều chỉnh QHPK để làm căn cứ."),
]

XDMT = [
    KpiSpec(
        "XDMT-01", "Đề án mở rộng KKT Đông Nam Nghệ An", 20, "30/3/2026",
        output="Bám Bộ Tài chính, Bộ Tư pháp; hoàn thiện hồ sơ/y kiến đề UBND tỉnh báo cáo, làm việc với "
        "Chính phủ/Thủ tướng.", partners="Bộ Tài chính, Bộ Tư pháp, UBND tỉnh", progress="80%",
        result="Đã hoàn thiện hồ sơ Đề án theo ý kiến thẩm định của Bộ Tài chính, Bộ Tư pháp; UBND tỉnh đã có "
        "Tờ trình gửi Thủ tướng Chính phủ.",
        obstacles="Quá hạn 30/3/2026, không có chuyển biến so với tháng 5 do đang chờ ý kiến của Văn phòng "
        "Chính phủ. Đề xuất Lãnh đạo Ban báo cáo UBND tỉnh làm việc trực tiếp với Văn phòng Chính phủ."),
    KpiSpec(
        "XDMT-02", "Các đề án QHPK năm 2026", 20, END_2026,
        output="Theo dõi và đôn đốc 100% đề án QHPK đang triển khai; tham mưu hoàn thành/phê duyệt hoặc trình "
        "phê duyệt các đề án QHPK KCN Đông Hội, KCN Diễn Quỳnh 1, KCN Yên Quang 1, Khu đô thị dịch vụ tổng "
        "hợp Tây Nam theo kế hoạch năm 2026.",
        partners="Phòng chuyên môn, UBND các địa phương, tư vấn, nhà tài trợ", progress=40,
        result="Đã phê duyệt QHPK KCN Đông Hội; QHPK KCN Diễn Quỳnh 1 đang lấy ý kiến cộng đồng; KCN Yên Quang "
        "1 và Khu đô thị dịch vụ tổng hợp Tây Nam đang lập hồ sơ."),
    KpiSpec(
        "XDMT-03", "Quy định phân công, phân cấp về quản lý quy hoạch", 10, "30/6/2026",
        output="Tham mưu Sở Xây dựng/UBND tỉnh ban hành hoặc hoàn thiện quy định phân công, phân cấp quản lý "
        "quy hoạch thay thế văn bản đã bãi bỏ.", partners="Sở Xây dựng, Văn phòng UBND tỉnh", progress=100,
        result="UBND tỉnh đã ban hành Quyết định quy định phân công, phân cấp quản lý quy hoạch ngày 12/6/2026.",
        completed_on=dt.date(2026, 6, 12)),
    KpiSpec(
        "XDMT-04", "Kế hoạch phát triển NOXH trong KKT, KCN", 20, END_2026,
        output="Theo dõi, tháo gỡ vướng mắc để phân đấu hoàn thành 2.955 căn trong năm 2026; đơn đốc 04 dự án "
        "theo kế hoạch.", partners="Sở Tài chính, UBND các địa phương, nhà đầu tư", progress=35,
        result="Đã hoàn thành 1.120/2.955 căn; 04 dự án đang triển khai, 01 dự án vướng GPMB phần hạ tầng.",
        obstacles="Đề nghị địa phương đẩy nhanh bàn giao phần mặt bằng còn lại của dự án vướng GPMB."),
    KpiSpec(
        "XDMT-05", "Thủ tục quy hoạch, xây dựng, môi trường đối với các dự án đầu tư thuộc thẩm quyền giải "
        "quyết của Ban (bao gồm các Dự án đầu tư công do Ban làm Chủ đầu tư)", 10, END_2026,
        output="100% hồ sơ thuộc lĩnh vực quy hoạch, xây dựng và môi trường được tham mưu đúng hạn, đúng quy "
        "định.", partners="Phòng chuyên môn, Ban QLDA; Sở, Ban, Ngành, địa phương có liên quan", progress=50,
        result="Đã tham mưu giải quyết 86/86 hồ sơ đúng hạn, đạt 100%."),
    KpiSpec(
        "XDMT-06", "NOXH vị trí số 03, vị trí số 04 và hạ tầng kết nối", 10, "30/9/2026",
        output="Tham mưu tháo gỡ thủ tục GPMB, đấu nối theo từng nội dung UBND tỉnh giao.",
        partners="Sở NN&MT, Sở Tài chính, địa phương, doanh nghiệp", progress=45,
        result="Đã tham mưu tháo gỡ thủ tục GPMB vị trí số 03; vị trí số 04 đang hoàn thiện phương án đấu nối.",
        obstacles="Còn 05 hộ chưa đồng thuận phương án bồi thường tại vị trí số 03."),
    KpiSpec(
        "XDMT-07", "Báo cáo tiến độ QHPK và cảnh báo rủi ro định kỳ", 10, END_2026,
        output="Duy trì chế độ báo cáo tháng về QHPK; kịp thời báo cáo vướng mắc vượt thẩm quyền.",
        partners="Văn phòng, các phòng chuyên môn", progress=50,
        result="Duy trì đủ 06 kỳ báo cáo tháng; đã báo cáo UBND tỉnh 02 vướng mắc vượt thẩm quyền."),
]

DNLD = [
    KpiSpec(
        "DNLĐ-01", "Triển khai Chỉ thị 33-CT/TU, Đề án 40-ĐA/TU về kết nối cung - cầu lao động, giải quyết "
        "việc làm", 20, END_2026,
        output="+ Ban hành và tổ chức thực hiện Kế hoạch kết nối, tuyển dụng lao động năm 2026;\n"
        "+ Tổ chức 02 Ngày hội việc làm;\n"
        "+ Phối hợp các sở, ngành, địa phương, cơ sở đào tạo và doanh nghiệp triển khai các hoạt động kết nối, "
        "hỗ trợ tuyển dụng lao động cho doanh nghiệp trong KKT, KCN.",
        partners="Sở Nội vụ, Sở GD&ĐT, Trung tâm DVVL, địa phương, doanh nghiệp", progress=55,
        result="Đã ban hành Kế hoạch năm 2026; tổ chức Ngày hội việc làm lần 1 ngày 14/3/2026 với 42 doanh "
        "nghiệp, hơn 6.500 vị trí tuyển dụng.",
        obstacles="Nhu cầu lao động kỹ thuật của doanh nghiệp FDI tăng cao, nguồn cung tại chỗ chưa đáp ứng."),
    KpiSpec(
        "DNLD-02", "Tuyên truyền, phổ biến pháp luật lao động và tổ chức tập huấn chuyên đề", 15, END_2026,
        output="+ Ban hành Kế hoạch tuyên truyền, phổ biến pháp luật về lao động trong KKT, KCN năm 2026;\n"
        "+ Tổ chức 03 lớp tập huấn theo chương trình công tác năm, trong đó có nội dung về nội quy lao động, "
        "đối thoại, thương lượng tập thể, quản lý lao động nước ngoài.",
        partners="Văn phòng, doanh nghiệp, đơn vị liên quan", progress=40,
        result="Đã ban hành Kế hoạch tuyên truyền; tổ chức 01/03 lớp tập huấn về nội quy lao động, đối thoại "
        "tại nơi làm việc."),
    KpiSpec(
        "DNLD-03", "Đảm bảo quan hệ lao động hài hòa, ổn định và tiến bộ", 20, END_2026,
        output="+ Phối hợp tổ chức Hội nghị sơ kết 01 năm thực hiện quy chế phối hợp với Liên đoàn Lao động "
        "tỉnh;\n+ Phối hợp thực hiện các hoạt động giám sát doanh nghiệp nhằm hỗ trợ xây dựng quan hệ lao động "
        "ổn định;\n+ Phối hợp Công an tỉnh, Liên đoàn Lao động tỉnh, địa phương và các đơn vị liên quan xử lý "
        "kịp thời các vụ việc ngừng việc tập thể hoặc đình công, không để phát sinh điểm nóng.",
        partners="Liên đoàn Lao động tỉnh, Công an tỉnh, địa phương, doanh nghiệp, các đơn vị liên quan",
        progress=50,
        result="Đã tổ chức Hội nghị sơ kết quy chế phối hợp với Liên đoàn Lao động tỉnh; xử lý kịp thời 02 vụ "
        "ngừng việc tập thể, không phát sinh điểm nóng."),
    KpiSpec(
        "DNLD-04", "Kiểm tra, giám sát việc chấp hành pháp luật lao động; an toàn, vệ sinh lao động", 15,
        END_2026,
        output="+ Tham mưu thành lập và triển khai hoạt động đoàn giám sát năm 2026 đối với lĩnh vực lao động;\n"
        "+ Phối hợp ban hành và triển khai Kế hoạch tháng hành động ATVSLĐ năm 2026 trong KKT, KCN;\n"
        "+ Hướng dẫn, đôn đốc, giám sát doanh nghiệp chấp hành pháp luật lao động và pháp luật liên quan.",
        partners="Liên đoàn Lao động tỉnh, Sở Nội vụ, doanh nghiệp", progress=35,
        result="Đã thành lập Đoàn giám sát năm 2026; triển khai Tháng hành động ATVSLĐ; giám sát 08/20 doanh "
        "nghiệp theo kế hoạch."),
    KpiSpec(
        "DNLĐ-05", "Phối hợp phát triển nguồn nhân lực kỹ năng nghề cho doanh nghiệp", 10, "31/8/2026",
        output="+ Phối hợp tổ chức Hội nghị sơ kết 01 năm thực hiện chương trình phối hợp với Sở GD&ĐT và các "
        "đơn vị liên quan;\n+ Đề xuất giải pháp nâng cao hiệu quả kết nối đào tạo, cung ứng nguồn nhân lực kỹ "
        "năng nghề cho doanh nghiệp trong KKT, KCN.",
        partners="Sở GD&ĐT, các cơ sở GDNN, doanh nghiệp", progress=10,
        result="Đã làm việc với Sở GD&ĐT về nội dung Hội nghị sơ kết; chưa tổ chức hội nghị.",
        obstacles="Chưa thống nhất được thời gian tổ chức với Sở GD&ĐT. Đề xuất tổ chức Hội nghị trong tháng "
        "7/2026, Phòng chủ động chuẩn bị nội dung."),
    KpiSpec(
        "DNLĐ-06", "Giải quyết hồ sơ, thủ tục hành chính lĩnh vực doanh nghiệp - lao động đúng hạn", 20,
        END_2026,
        output="+ 100% hồ sơ thuộc lĩnh vực doanh nghiệp - lao động (Nội quy và cấp phép lao động người nước "
        "ngoài) được tiếp nhận, xử lý đúng hạn;\n+ Không để tồn đọng hồ sơ kéo dài do nguyên nhân chủ quan.",
        partners="Văn phòng, Sở Nội vụ, các phòng liên quan", progress=50,
        result="Đã tiếp nhận, xử lý 214 hồ sơ (nội quy lao động, giấy phép lao động người nước ngoài), 100% "
        "đúng hạn."),
]

VP = [
    KpiSpec(
        "VP-01", "Cải cách hành chính, dịch vụ công trực tuyến và số hóa hồ sơ", 15, END_2026,
        output="Duy trì 100% hồ sơ tiếp nhận/xử lý qua Cổng DVC; nâng tỷ lệ số hóa hồ sơ lên tới thiểu 80%.",
        partners="Các phòng chuyên môn. Trung tâm hành chính Công/ VPUBND tỉnh", progress=50,
        result="100% hồ sơ tiếp nhận, xử lý qua Cổng DVC; tỷ lệ số hóa hồ sơ đạt 72%."),
    KpiSpec(
        "VP-02", "Triển khai kế hoạch chuyển đổi số năm 2026; Hạ tầng CNTT; Nghị quyết số 57-NQ/TW và KH "
        "987/KH-UBND", 25, END_2026,
        output="Thực hiện thuê dịch vụ CNTT, chữ ký số, phần mềm, cập nhật cơ sở dữ liệu; vận hành ổn định mạng "
        "nội bộ, đào tạo kỹ năng số và truyền thông; Tổng hợp tiến độ thực hiện các nhiệm vụ chuyển đổi số, "
        "5G/IoT; tham mưu báo cáo lãnh đạo Ban/UBND tỉnh khi cần.",
        partners="Các phòng chuyên môn, đơn vị CNTT", progress=40,
        result="Đã ký hợp đồng thuê dịch vụ CNTT, chữ ký số; mạng nội bộ vận hành ổn định; tổ chức 01 lớp đào "
        "tạo kỹ năng số.",
        obstacles="Chưa bố trí kinh phí cho nhiệm vụ 5G/IoT; đề xuất bổ sung khi điều chỉnh dự toán giữa năm."),
    KpiSpec(
        "VP-03", "Công tác tổng hợp hành chính và Lễ tân, khánh tiết", 20, END_2026,
        output="100% báo cáo tháng/quý/năm, giao ban, kết luận được tổng hợp, ban hành và theo dõi đúng hạn. "
        "Công tác Lễ tân, khánh tiết đối nội, đối ngoại, đoàn ra vào đảm bảo vận hành tốt.",
        partners="Các phòng/đơn vị trực thuộc", progress=50,
        result="Ban hành đúng hạn 100% báo cáo tháng, quý; phục vụ 26 cuộc giao ban và 14 đoàn khách."),
    KpiSpec(
        "VP-04", "Biên chế, vị trí việc làm, thi đua khen thưởng và tổ chức bộ máy", 20,
        "31/12/2026; Thực hiện công tác thi đua khen thưởng đúng theo quy định",
        output="Rà soát vị trí việc làm; tham mưu phương án bổ sung biên chế/hợp đồng phù hợp nhu cầu nhiệm vụ "
        "năm 2026.", partners="Các phòng/đơn vị trực thuộc, Sở Nội vụ", progress=5,
        result="Mới rà soát sơ bộ vị trí việc làm của các phòng.",
        obstacles="Chưa có hướng dẫn của Sở Nội vụ về định mức biên chế sau sắp xếp bộ máy. Đề xuất Lãnh đạo "
        "Ban có văn bản đề nghị Sở Nội vụ hướng dẫn."),
    KpiSpec(
        "VP-05", "Quản lý Tài chính, Tài sản", 10, END_2026,
        output="Thực hiện thu chi ngân sách, các chế độ chính sách về lương, thưởng và phúc lợi cho CB, CC, NLĐ "
        "theo đúng quy định. Đảm bảo trang thiết bị vận hành thông suốt phục vụ tốt nhiệm vụ cho CB, CC, NLĐ.",
        partners="Các phòng chuyên môn/ Sở Tài chính/UBND tỉnh", progress=50,
        result="Thu chi ngân sách, chi trả lương, phụ cấp đúng quy định; trang thiết bị vận hành ổn định."),
    KpiSpec(
        "VP-06", "Công tác Văn thư, Lưu trữ", 10, END_2026,
        output="Vận hành ổn định hệ thống văn bản đi đến, Hệ thống dịch vụ công trực tuyến, phần mềm QLVB, chữ "
        "ký số; không để gián đoạn ảnh hưởng xử lý hồ sơ. Phát hành văn bản đi, đến và tỷ lệ sử dụng chữ ký số "
        "trên phần mềm đạt trên 95%.", partners="Các phòng chuyên môn, Sở Nội vụ", progress=45,
        result="Hệ thống văn bản, dịch vụ công trực tuyến vận hành ổn định; tỷ lệ văn bản ký số đạt 93%."),
]

BQLDA = [
    KpiSpec(
        "BQLDA-01", "Giải ngân kế hoạch vốn năm 2026", 25, "31/01/2027",
        output="Phần đầu giải ngân tối thiểu 95% kế hoạch vốn năm 2026 đã bố trí đến nay.",
        partners="Sở Tài chính, Kho bạc, địa phương", progress=30,
        result="Giải ngân đạt 31% kế hoạch vốn năm 2026.",
        obstacles="Vướng GPMB tại 02 dự án làm chậm khối lượng thanh toán; đề nghị địa phương đẩy nhanh bàn "
        "giao mặt bằng."),
    KpiSpec(
        "BQLDA-02", "Bàn giao đưa vào sử dụng 05 dự án", 25, END_2026,
        output="Bàn giao đưa vào sử dụng 05 dự án: (Kênh thoát nước dọc N5; Đường vào phân khu CN30 thuộc Khu "
        "D - KCN Nam Cẩm; Đường Cứu nạn TĐC Ven biển Đông Hải; Điện chiếu sáng tỉnh lộ 536; Dự án đường ngang "
        "N5 trong KKT Đông Nam).",
        partners="Sở Xây dựng, Nhà thầu, địa phương, các sở ngành, phòng XDMT", progress=45,
        result="Đã bàn giao 02/05 dự án (Kênh thoát nước dọc N5; Điện chiếu sáng tỉnh lộ 536); 03 dự án còn "
        "lại đạt 60–80% khối lượng."),
    KpiSpec(
        "BQLDA-03", "GPMB và khởi công dự án mới", 15, END_2026,
        output="Phần đầu cơ bản hoàn thành GPMB 02 dự án đang thi công (Tuyến kênh thoát nước cho dân cư quanh "
        "KCN Hoàng Mai 1; Hệ thống thoát nước KCN VSIP - Thọ Lộc); triển khai GPMB/khởi công 02 dự án mới năm "
        "2026 (Hệ thống thoát nước quanh KCN Hoàng Mai II (đã phê duyệt dự án); Hệ thống giao thông kết nối "
        "nhà ở xã hội số 3 và số 4 trong KKT Đông Nam với QL7C (đang trình phê duyệt chủ trương đầu tư)).",
        partners="Địa phương, Sở NN&MT, nhà đầu tư", progress=30,
        result="Tuyến kênh thoát nước quanh KCN Hoàng Mai 1 đã GPMB 85%; Hệ thống thoát nước KCN VSIP - Thọ "
        "Lộc đạt 60%; 02 dự án mới đang hoàn thiện thủ tục.",
        obstacles="Một số hộ dân chưa nhận tiền bồi thường; đề nghị địa phương tổ chức vận động."),
    KpiSpec(
        "BQLDA-04", "Thủ tục đầu tư, điều chỉnh dự án và chuẩn bị đầu tư giai đoạn 2026-2030", 15, END_2026,
        output="Hoàn thành thủ tục điều chỉnh 02 dự án chuyển tiếp (Tuyến số 2, thuộc hệ thống giao thông khu "
        "A, KCN Nam Cẩm (dự án chuyển từ giai đoạn 2016-2020); Tuyến kênh thoát nước cho dân cư quanh KCN "
        "Hoàng Mai 1 (dự án tiếp nhận lại từ thị xã Hoàng Mai theo chính quyền 2 cấp)).",
        partners="Sở Tài chính, Sở Xây dựng, các đơn vị tư vấn", progress=100,
        result="UBND tỉnh đã phê duyệt điều chỉnh 02 dự án chuyển tiếp ngày 05/6/2026.",
        completed_on=dt.date(2026, 6, 5)),
    KpiSpec(
        "BQLDA-05", "Dự án Hệ thống thoát nước quanh KCN Hoàng Mai II", 10, "Khởi công dự án trong quý IV/2026",
        output="Khởi công dự án trong quý IV/2026.", partners="Địa phương; Các nhà thầu; Các sở ngành",
        result="Đang lập hồ sơ thiết kế bản vẽ thi công, chưa khởi công."),
    KpiSpec(
        "BQLDA-06", "Phê duyệt Phương án tự chủ tổ chức bộ máy, nhân sự giai đoạn 2026-2030", 10,
        "Hoàn thành trước 30/6/2026", output="Hoàn thành trước 30/6/2026.", partners="Sở Nội vụ, Văn phòng",
        progress=100, result="UBND tỉnh đã phê duyệt Phương án tự chủ giai đoạn 2026-2030 ngày 19/6/2026.",
        completed_on=dt.date(2026, 6, 19)),
]

UNITS = [
    UnitSpec("KHĐT", "Phòng Kế hoạch và Đầu tư", KHDT, email="khdt@kkt.example.vn", head="Trần Văn B"),
    UnitSpec("XDMT", "Phòng Xây dựng và Môi trường", XDMT, email="xdmt@kkt.example.vn", head="Lê Thị C"),
    UnitSpec("DNLĐ", "Phòng Doanh nghiệp và Lao động", DNLD, email="dnld@kkt.example.vn", head="Phạm Văn D"),
    UnitSpec("VP", "Văn phòng", VP, email="vp@kkt.example.vn", head="Hoàng Thị E"),
    UnitSpec("BQLDA", "Ban Quản lý dự án khu vực KKT", BQLDA, email="Ban QLDA <bqlda@kkt.example.vn>",
             head="Võ Văn G"),
]

# Progress read at the two earlier report dates (25/04, 25/05). KHĐT-06 went down in June;
# XDMT-01 has not moved since May.
EARLIER = {
    "KHĐT-01": (50, 70), "KHĐT-02": (30, 40), "KHĐT-03": (25, 35), "KHĐT-04": (55, 65),
    "KHĐT-05": (20, 30), "KHĐT-06": (40, 55), "KHĐT-07": (0, 0),
    "XDMT-01": (70, 80), "XDMT-02": (25, 32), "XDMT-03": (60, 85), "XDMT-04": (20, 28),
    "XDMT-05": (33, 42), "XDMT-06": (25, 35), "XDMT-07": (33, 42),
    "DNLĐ-01": (40, 50), "DNLD-02": (20, 30), "DNLD-03": (35, 42), "DNLD-04": (15, 28),
    "DNLĐ-05": (0, 5), "DNLĐ-06": (33, 42),
    "VP-01": (40, 45), "VP-02": (20, 30), "VP-03": (33, 42), "VP-04": (0, 2), "VP-05": (33, 42),
    "VP-06": (30, 38),
    "BQLDA-01": (12, 22), "BQLDA-02": (25, 35), "BQLDA-03": (15, 22), "BQLDA-04": (60, 85),
    "BQLDA-05": (0, 0), "BQLDA-06": (50, 80),
}


def history() -> dict[dt.date, dict[tuple[str, str], float]]:
    """{report date: {(unit code, KPI code): progress}} for the two earlier report dates."""
    return {
        day: {(u.code, k.code): float(EARLIER[k.code][i]) for u in UNITS for k in u.kpis}
        for i, day in enumerate(HISTORY_DATES)
    }


def main(output: Path = OUTPUT) -> None:
    """Build the Nghệ An 2026 example workbook."""
    output.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(output, settings=SETTINGS, units=UNITS, history=history())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
