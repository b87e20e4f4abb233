"""Write the sample rosters of docs/imports.md: `python docs/samples/make_samples.py`.

staff.xlsx comes first (the enterprises name their liaisons); enterprises.csv is UTF-8 with a
BOM, as Excel's "CSV UTF-8" saves it (a GB18030 file, as Excel on Chinese Windows saves "CSV",
imports the same way). The credit codes are made-up but valid (GB 32100-2015 check character).
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from bot.domain.credit_code import check_digit

HERE = Path(__file__).resolve().parent

STAFF = [
    ["姓名", "职务", "角色", "所属区", "专长", "手机", "Telegram用户名"],
    ["张伟", "民警", "联络民警", "田家庵区", "", "13900001001", "@zhangwei_police"],
    ["李娜", "副所长", "联络民警", "田家庵区", "", "13900001002", ""],
    ["王强", "民警", "联络民警", "大通区", "", "13900001003", ""],
    ["刘洋", "律师", "法律顾问", "", "合同、劳动用工", "13900001004", ""],
    ["陈静", "法律顾问", "法律顾问", "", "融资与税费、诉讼与执行", "13900001005", ""],
    ["赵敏", "科员", "管理员", "", "", "", ""],
]
ENTERPRISES = [
    ["企业名称", "统一社会信用代码", "所属区", "行业", "联络民警", "备用联络民警", "联系电话"],
    ["淮南市春风机械制造有限公司", "制造业", "田家庵区", "张伟", "李娜", "0554-6661001"],
    ["淮南市安达物流有限公司", "交通运输和物流", "田家庵区", "李娜", "张伟", "13800001002"],
    ["淮南市大通建筑工程有限公司", "建筑业", "大通区", "王强", "", ""],
    ["淮南市好味餐饮管理有限公司", "餐饮和住宿", "大通区", "13900001003", "", ""],
]


def code(n: int) -> str:
    """The n-th made-up credit code (valid check character)."""
    first17 = f"91340400MA2N{n:04d}X"
    return first17 + check_digit(first17)


def main() -> None:
    """Write staff.xlsx and enterprises.csv beside this script."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工作人员"
    for row in STAFF:
        sheet.append(row)
    book.save(HERE / "staff.xlsx")
    rows = [ENTERPRISES[0]]
    for n, (name, industry, district, liaison, deputy, phone) in enumerate(ENTERPRISES[1:], 1):
        rows.append([name, code(n), district, industry, liaison, deputy, phone])
    with (HERE / "enterprises.csv").open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerows(rows)


if __name__ == "__main__":
    main()
