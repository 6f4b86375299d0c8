"""The columns of Juguang (聚光) and Pugongying (蒲公英) report exports, each declared once: its header as the
web export writes it, the API field it comes from, its unit, and the schema field it adds into.

The reader recognises a report by these headers, reads each cell in the declared unit, and the mapping sums
each column into its ``target``; the docs table (docs/platforms.md) and the tests are derived from this list.
A column with no target is read and checked (a budget in 分 is reported in ¥) but feeds no campaign input.

Sources (public open SDKs, cited by repository and path):

- Juguang offline report fields: ``bububa/spotlight-mapi`` ``model/report/report.go`` (``DataReportDTO``:
  ``fee`` 推广消费金额, ``impression``, ``click``, ``like`` … ``interaction``, ``goods_order`` 7日下单订单量,
  ``rgmv`` 7日下单金额 "含退款金额", ``external_rgmv_7/15/30`` 行业商品GMV).
- Pugongying post-campaign note data: ``pxbin/ad-xhs-market`` ``note_data.go`` (``NoteData``: ``kol_price``
  博主报价, ``total_platform_price`` 服务费金额, ``kol_fan_num`` 博主粉丝量, ``imp_num`` 曝光量 of all traffic,
  ``promotion_imp_num`` 推广曝光量, ``read_num``, ``like_num``/``fav_num``/``cmt_num``/``share_num``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Platform", "ColumnUnit", "PlatformColumn", "PLATFORM_NAMES", "COLUMNS", "LEVELS", "TIME_COLUMNS",
    "TOTAL_WORDS", "WINDOWS", "DEFAULT_WINDOW", "SOURCES", "normalise_header", "header_unit", "columns_markdown",
]

Platform = Literal["juguang", "pugongying"]

#: How a column's cells are read: ``yuan`` and ``fen`` are money (分 divided by 100 into ¥), ``count`` a
#: whole number of actions, ``rate`` a share written "1.23%" (a bare number is the API's percent points),
#: ``ratio`` GMV ÷ spend, ``text`` a name or an id.
ColumnUnit = Literal["yuan", "fen", "count", "rate", "ratio", "text"]

PLATFORM_NAMES: dict[str, str] = {"juguang": "Juguang 聚光", "pugongying": "Pugongying 蒲公英"}

SOURCES: dict[str, str] = {
    "juguang": "bububa/spotlight-mapi model/report/report.go",
    "pugongying": "pxbin/ad-xhs-market note_data.go",
}

#: The windows of the off-platform GMV Juguang reports (行业商品GMV（7日/15日/30日）, external_rgmv_N).
WINDOWS: tuple[int, ...] = (7, 15, 30)
#: The window the workbook uses unless told otherwise: the same 7 days as the on-platform GMV (rgmv), so
#: direct and cross-platform sales cover one attribution period.
DEFAULT_WINDOW = 7


@dataclass(frozen=True)
class PlatformColumn:
    """One column of a platform export."""

    platform: Platform
    header: str
    api_field: str
    unit: ColumnUnit
    meaning: str
    #: The schema field the column's values add into (summed over rows); empty when it feeds none.
    target: str = ""
    #: Other headers the web export or older exports use for the same column.
    aliases: tuple[str, ...] = ()
    #: For 行业商品GMV / 订单量: the attribution window in days; the column feeds its target only at that window.
    window: int | None = None

    @property
    def source(self) -> str:
        return SOURCES[self.platform]

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


def _jg(header: str, api_field: str, unit: ColumnUnit, meaning: str, target: str = "", *aliases: str,
        window: int | None = None) -> PlatformColumn:
    return PlatformColumn("juguang", header, api_field, unit, meaning, target, aliases, window)


def _pgy(header: str, api_field: str, unit: ColumnUnit, meaning: str, target: str = "", *aliases: str) -> PlatformColumn:
    return PlatformColumn("pugongying", header, api_field, unit, meaning, target, aliases)


COLUMNS: tuple[PlatformColumn, ...] = (
    # --- Juguang 聚光: offline report (account / campaign / unit / creative / keyword / note, by day or hour)
    _jg("消费", "fee", "yuan", "ad spend (推广消费金额), in ¥ — unlike budgets and bids, which are in 分",
        "paid_ads", "消耗", "花费"),
    _jg("展现量", "impression", "count", "impressions of the promotion", "impressions"),
    _jg("点击量", "click", "count", "clicks on the promotion (a 5 s view counts in the video feed)", "clicks"),
    _jg("点击率", "ctr", "rate", "clicks ÷ impressions"),
    _jg("平均点击成本", "acp", "yuan", "spend ÷ clicks (CPC)"),
    _jg("平均千次展示费用", "cpm", "yuan", "spend ÷ impressions × 1,000", "", "平均千次曝光"),
    _jg("点赞", "like", "count", "likes within 1 h of a click", "likes"),
    _jg("评论", "comment", "count", "comments within 1 h of a click", "comments"),
    _jg("收藏", "collect", "count", "saves within 1 h of a click", "saves"),
    _jg("关注", "follow", "count", "follows of the note's author after a click", "new_followers"),
    _jg("分享", "share", "count", "shares within 1 h of a click", "shares"),
    _jg("互动量", "interaction", "count", "likes + saves + follows + comments + shares (checked, not added)"),
    _jg("平均互动成本", "cpi", "yuan", "spend ÷ engagements (CPE)"),
    _jg("进店访问量", "goods_visit", "count", "7-day visits to the bound store"),
    _jg("7日下单订单量", "goods_order", "count", "orders within 7 days of a click", "conversions"),
    _jg("7日下单金额", "rgmv", "yuan", "GMV of those orders, refunds included", "direct_revenue"),
    _jg("7日下单ROI", "roi", "ratio", "7-day order GMV ÷ spend"),
    _jg("7日支付订单量", "success_goods_order", "count", "paid orders within 7 days (not added: a subset of 下单)"),
    _jg("7日支付金额", "purchase_order_gmv_7d", "yuan", "paid GMV within 7 days (not added: a subset of 下单金额)"),
    _jg("7日支付ROI", "purchase_order_roi_7d", "ratio", "7-day paid GMV ÷ spend"),
    *(
        column
        for days in WINDOWS
        for column in (
            _jg(f"行业商品GMV({days}日)", f"external_rgmv_{days}", "yuan",
                f"off-platform GMV within {days} days of a click (Tmall, JD …)", "cross_platform_revenue",
                window=days),
            _jg(f"行业商品成交订单量({days}日)", f"external_goods_order_{days}", "count",
                f"off-platform paid orders within {days} days of a click", "cross_platform_conversions",
                window=days),
            _jg(f"行业商品ROI({days}日)", f"external_roi_{days}", "ratio", f"{days}-day off-platform GMV ÷ spend"),
        )
    ),
    _jg("行业商品点击量", "external_goods_visit_24h", "count", "clicks through to off-platform products"),
    _jg("小红星站外进店量", "outside_shop_visit", "count", "visits to Taobao stores (小红星)"),
    _jg("京东站外活跃行为量", "jd_active_user_num", "count", "active users on JD"),
    _jg("日预算", "budget", "fen", "the daily budget, in 分 (¥1 = 100 分)"),
    _jg("出价", "bid", "fen", "the bid, in 分 (¥1 = 100 分)"),
    # --- Pugongying 蒲公英: post-campaign data per note / order
    _pgy("博主报价", "kol_price", "yuan", "the creator's fee for the note", "creator_fees"),
    _pgy("服务费金额", "total_platform_price", "yuan", "the platform's service fee on the order", "creator_fees"),
    _pgy("博主粉丝量", "kol_fan_num", "count", "the creator's followers (sets the tier)", "", "粉丝量", "粉丝数"),
    _pgy("曝光量", "imp_num", "count", "impressions of the note, all traffic (natural + heated + promoted)",
         "impressions"),
    _pgy("推广曝光量", "promotion_imp_num", "count", "the promoted part of the impressions (already in 曝光量)"),
    _pgy("阅读量", "read_num", "count", "reads (opens) of the note, all traffic", "clicks"),
    _pgy("推广阅读量", "promotion_read_num", "count", "the promoted part of the reads (already in 阅读量)"),
    _pgy("阅读UV", "read_uv", "count", "readers"),
    _pgy("互动量", "engage_num", "count", "likes + saves + comments + shares (checked, not added)"),
    _pgy("互动率", "engage_rate", "rate", "engagements ÷ reads"),
    _pgy("点赞量", "like_num", "count", "likes, all traffic", "likes"),
    _pgy("收藏量", "fav_num", "count", "saves, all traffic", "saves"),
    _pgy("评论量", "cmt_num", "count", "comments, all traffic", "comments"),
    _pgy("分享量", "share_num", "count", "shares, all traffic", "shares"),
    _pgy("阅读单价", "read_cost", "yuan", "fee ÷ reads"),
    _pgy("互动单价", "engage_cost", "yuan", "fee ÷ engagements"),
    _pgy("种草成本", "interest_cost", "yuan", "fee ÷ seeding value"),
)

#: The columns that name a row's level, from the most specific; a report's level is the most specific present.
#: Pugongying data is per note and order.
LEVELS: dict[str, dict[str, tuple[str, ...]]] = {
    "juguang": {
        "keyword": ("关键词",),
        "note": ("笔记ID", "笔记id", "笔记标题"),
        "creative": ("创意名称", "创意ID"),
        "unit": ("单元名称", "单元ID"),
        "campaign": ("计划名称", "计划ID"),
        "account": ("账户名称", "账户ID"),
    },
    "pugongying": {
        "note": ("笔记ID", "笔记id", "笔记链接", "笔记标题"),
        "order": ("订单ID", "订单id", "订单标题"),
    },
}

#: Columns that date a row: an hourly report has an hour column besides the date.
TIME_COLUMNS: dict[str, tuple[str, ...]] = {"day": ("日期", "时间"), "hour": ("小时", "时段")}

#: Other identifying columns: read as text, never as numbers.
TEXT_COLUMNS: tuple[str, ...] = ("账户名称", "账户ID", "报备品牌名称", "品牌名称", "博主昵称", "博主ID", "笔记发布时间",
                                 "下单账号名称")

#: Words in a label cell that mark the total row of an export.
TOTAL_WORDS: tuple[str, ...] = ("合计", "总计", "汇总", "总计:", "合计:")

_UNIT_SUFFIX = re.compile(r"\((元|分)\)$")


def normalise_header(header: object) -> str:
    """A header as compared: NFKC (full-width parentheses become ASCII), no spaces, case-folded, without a
    trailing unit in parentheses."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header)).replace(" ", "").strip()
    return _UNIT_SUFFIX.sub("", text).casefold()


def header_unit(header: object) -> str | None:
    """The unit a header states, "元" or "分" (``消费(分)``), or None."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header)).replace(" ", "").strip()
    match = _UNIT_SUFFIX.search(text)
    return match.group(1) if match else None


def columns_markdown() -> str:
    """The column table of docs/platforms.md, from :data:`COLUMNS` (a test keeps the docs equal to it)."""
    lines = ["| Platform | Header | API field | Unit | → schema field | Meaning |", "|---|---|---|---|---|---|"]
    for column in COLUMNS:
        target = f"`{column.target}`" if column.target else "—"
        window = f" (at --window {column.window})" if column.window else ""
        aliases = f" (also {', '.join(column.aliases)})" if column.aliases else ""
        platform = "聚光" if column.platform == "juguang" else "蒲公英"
        lines.append(f"| {platform} | {column.header}{aliases} | `{column.api_field}` | {column.unit} | "
                     f"{target}{window} | {column.meaning} |")
    return "\n".join(lines) + "\n"
