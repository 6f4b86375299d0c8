"""Write the platform export fixtures in tests/fixtures/platforms/ (run from the repository root:
``python tests/make_platform_fixtures.py``); the tests check that the files on disk equal what this writes.

Provenance: no real export is public, so these are built from the documented field lists — Juguang's offline
report (bububa/spotlight-mapi, model/report/report.go) and Pugongying's post-campaign note data
(pxbin/ad-xhs-market, note_data.go) — with the headers the web export writes (消费, 展现量, 点击率 as "1.23%",
行业商品GMV（7日）with full-width parentheses …). Figures are invented with a fixed seed (20261204) on the
scale of article 000's case studies; docs/platforms.md lists what each file exercises.

- ``juguang_campaign_daily_gbk.csv``: GBK, a title row above the header, campaign level by day, text numbers
  ("1,200.50"), "-" for a zero, a blank, a 出价 column in 分, an extra column (备注), no 分享 column, and a 合计
  row. Its mapping is hand-computed in tests/test_platforms.py.
- ``juguang_notes.csv`` (UTF-8 with BOM) and ``pugongying_notes.xlsx``: one campaign of one brand, Juguang at
  note level by day and Pugongying per note, two notes reported by both; ``same_campaign_typed.csv`` is the
  same campaign typed by hand into xhsxl's client table, computed here from the notes' figures.
- ``pugongying_notes_utf16.txt``: the Pugongying data as UTF-16 tab-separated text (Excel's "Unicode text").
- ``juguang_hourly.csv``: a note's first eight days by hour, for checkpoints.
- Malformed: ``juguang_bad_cells.csv`` (text in 消费, a negative count), ``juguang_total_mismatch.csv`` (a 合计
  row that disagrees with its rows), ``not_an_export.csv`` (neither platform's columns).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent / "fixtures" / "platforms"
SEED = 20261204
BRAND = "示例品牌"


def _csv(rows: list[list[object]], delimiter: str = ",") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def campaign_daily_gbk() -> bytes:
    rows: list[list[object]] = [
        ["聚光数据报表 2026-11-01 至 2026-11-02"],
        ["日期", "账户名称", "计划名称", "消费", "展现量", "点击量", "点击率", "点赞", "评论", "收藏", "关注", "互动量",
         "7日下单订单量", "7日下单金额", "行业商品GMV（7日）", "行业商品GMV（30日）", "出价", "备注"],
        ["2026-11-01", BRAND, "秋季新品", "1,200.50", "80,000", "1600", "2.00%", "300", "40", "120", "10", "470",
         "12", "3,600.00", "5,000", "8,000", "150", "首日"],
        ["2026-11-02", BRAND, "秋季新品", "800", "50000", "900", "1.80%", "200", "-", "80", "5", "285",
         "8", "2400", "3000", "4500", "150", ""],
        ["2026-11-01", BRAND, "搜索词包", "500", "20000", "600", "3.00%", "50", "10", "30", "", "90",
         "5", "1500", "1000", "2000", "120", ""],
        ["合计", "", "", "2,500.50", "150,000", "3100", "2.07%", "550", "50", "230", "15", "845",
         "25", "7,500.00", "9,000", "14,500", "", ""],
    ]
    return _csv(rows).encode("gbk")


#: Notes of the shared campaign: id → (juguang figures per day, pugongying figures), both invented.
def _shared_campaign() -> tuple[list[list[object]], list[list[object]], dict[str, float]]:
    rng = random.Random(SEED)
    notes = ["N01", "N02", "N03", "N04", "N05"]
    promoted = notes[:3]           # promoted on Juguang
    sponsored = ["N02", "N03", "N05"]  # creator notes ordered on Pugongying; N02 and N03 are both
    jg_header = ["日期", "账户名称", "计划名称", "笔记ID", "消费", "展现量", "点击量", "点击率", "点赞", "评论", "收藏",
                 "关注", "分享", "互动量", "7日下单订单量", "7日下单金额", "行业商品GMV（7日）", "行业商品GMV（15日）",
                 "行业商品GMV（30日）"]
    jg_rows: list[list[object]] = [jg_header]
    typed = {k: 0.0 for k in ("paid_ads", "creator_fees", "impressions", "clicks", "likes", "comments", "saves",
                              "shares", "new_followers", "conversions", "direct_revenue", "cross_platform_revenue")}
    pgy_results: dict[str, dict[str, int]] = {}
    for note in sponsored:
        pgy_results[note] = {"imp": rng.randint(200_000, 900_000), "read": rng.randint(20_000, 60_000),
                             "like": rng.randint(1_000, 5_000), "fav": rng.randint(500, 3_000),
                             "cmt": rng.randint(50, 600), "share": rng.randint(50, 400)}
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        for note in promoted:
            fee = round(rng.uniform(800, 3_000), 2)
            imp = rng.randint(30_000, 120_000)
            clk = rng.randint(imp // 80, imp // 30)
            like, cmt, fav = rng.randint(100, 600), rng.randint(5, 60), rng.randint(50, 300)
            follow, share = rng.randint(0, 40), rng.randint(0, 30)
            orders = rng.randint(0, 30)
            gmv = round(orders * rng.uniform(150, 260), 2)
            ext7 = round(rng.uniform(0, 6_000), 2)
            ext15, ext30 = round(ext7 * 1.3, 2), round(ext7 * 1.6, 2)
            jg_rows.append([day, BRAND, "秋季种草", note, f"{fee:,.2f}", imp, clk, f"{clk / imp:.2%}", like, cmt, fav,
                            follow, share, like + cmt + fav + follow + share, orders, gmv, ext7, ext15, ext30])
            typed["paid_ads"] += fee
            typed["conversions"] += orders
            typed["direct_revenue"] += gmv
            typed["cross_platform_revenue"] += ext7
            typed["new_followers"] += follow  # Pugongying reports no follows: Juguang's count on every note
            if note not in sponsored:  # on shared notes, Pugongying's all-traffic figures stand for the note
                typed["impressions"] += imp
                typed["clicks"] += clk
                typed["likes"] += like
                typed["comments"] += cmt
                typed["saves"] += fav
                typed["shares"] += share
    pgy_header = ["报备品牌名称", "博主昵称", "博主粉丝量", "笔记ID", "笔记标题", "订单ID", "博主报价", "服务费金额", "曝光量",
                  "推广曝光量", "阅读量", "互动量", "互动率", "点赞量", "收藏量", "评论量", "分享量", "阅读单价", "互动单价"]
    pgy_rows: list[list[object]] = [pgy_header]
    for i, note in enumerate(sponsored):
        r = pgy_results[note]
        fans = (35_000, 120_000, 480_000)[i]
        price = (4_000, 12_000, 60_000)[i]
        service = round(price * 0.1)
        engage = r["like"] + r["fav"] + r["cmt"] + r["share"]
        pgy_rows.append([BRAND, f"博主{i + 1}", fans, note, f"笔记{note}", f"PO{i + 1:04d}", price, service, r["imp"],
                         r["imp"] // 5, r["read"], engage, f"{engage / r['read']:.2%}", r["like"], r["fav"], r["cmt"],
                         r["share"], round((price + service) / r["read"], 2), round((price + service) / engage, 2)])
        typed["creator_fees"] += price + service
        typed["impressions"] += r["imp"]
        typed["clicks"] += r["read"]
        typed["likes"] += r["like"]
        typed["saves"] += r["fav"]
        typed["comments"] += r["cmt"]
        typed["shares"] += r["share"]
    return jg_rows, pgy_rows, typed


def hourly() -> bytes:
    rng = random.Random(SEED + 1)
    rows: list[list[object]] = [["日期", "小时", "账户名称", "计划名称", "消费", "展现量", "点击量", "点赞", "评论", "收藏",
                                 "关注", "分享", "7日下单订单量", "7日下单金额"]]
    for day in range(1, 9):
        for hour in range(0, 24, 6):
            fee = round(rng.uniform(50, 400), 2)
            orders = rng.randint(0, 4)
            rows.append([f"2026-11-{day:02d}", hour, BRAND, "秋季种草", fee, rng.randint(2_000, 9_000),
                         rng.randint(40, 200), rng.randint(5, 60), rng.randint(0, 8), rng.randint(2, 30),
                         rng.randint(0, 5), rng.randint(0, 5), orders, round(orders * 199.0, 2)])
    return _csv(rows).encode("utf-8")


def files() -> dict[str, bytes]:
    """Every fixture: file name → bytes (XLSX written with fixed timestamps so it is reproducible)."""
    jg_rows, pgy_rows, typed = _shared_campaign()
    out = {
        "juguang_campaign_daily_gbk.csv": campaign_daily_gbk(),
        "juguang_notes.csv": b"\xef\xbb\xbf" + _csv(jg_rows).encode("utf-8"),
        "pugongying_notes.xlsx": _xlsx(pgy_rows),
        "pugongying_notes_utf16.txt": _csv(pgy_rows, "\t").encode("utf-16"),
        "juguang_hourly.csv": hourly(),
        "juguang_bad_cells.csv": _csv([["日期", "账户名称", "消费", "展现量", "点击量"],
                                       ["2026-11-01", BRAND, "abc", "1000", "20"],
                                       ["2026-11-02", BRAND, "100", "-5", "10"],
                                       ["2026-11-03", BRAND, "50", "800", "12"]]).encode("utf-8"),
        "juguang_total_mismatch.csv": _csv([["日期", "账户名称", "消费", "展现量"], ["2026-11-01", BRAND, "100", "1000"],
                                            ["2026-11-02", BRAND, "200", "3000"],
                                            ["总计", "", "400", "4000"]]).encode("utf-8"),
        "not_an_export.csv": _csv([["name", "spend", "views"], ["a", "1", "2"]]).encode("utf-8"),
    }
    keys = list(typed)
    out["same_campaign_typed.csv"] = _csv([["client_name", *keys],
                                           [BRAND, *(f"{typed[k]:.2f}" for k in keys)]]).encode("utf-8")
    return out


def _xlsx(rows: list[list[object]]) -> bytes:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "笔记数据"
    for row in rows:
        sheet.append(row)
    workbook.properties.created = workbook.properties.modified = dt.datetime(2026, 12, 4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, data in files().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
