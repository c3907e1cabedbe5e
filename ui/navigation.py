"""The page registry: key, module, title, icon. ``app.py`` builds ``st.navigation`` from it."""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import PageKey


@dataclass(frozen=True)
class PageSpec:
    """One screen: its key (also its URL path), module under ``pages/``, title and icon."""

    key: PageKey
    module: str
    title: str
    icon: str
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec(PageKey.HOME, "pages.home", "首页", ":material/home:", "概览"),
    PageSpec(PageKey.DASHBOARD, "pages.dashboard", "书记看板", ":material/monitoring:", "概览"),
    PageSpec(PageKey.PRESENT, "pages.present", "会议大屏", ":material/slideshow:", "概览"),
    PageSpec(PageKey.TODO, "pages.todo", "我的待办", ":material/checklist:", "案件"),
    PageSpec(PageKey.INTAKE, "pages.intake", "民情受理", ":material/edit_note:", "案件"),
    PageSpec(PageKey.LEDGER, "pages.ledger", "民情台账", ":material/table_view:", "案件"),
    PageSpec(PageKey.CASE, "pages.case_detail", "案件详情", ":material/description:", "案件"),
    PageSpec(PageKey.ESCALATIONS, "pages.escalations", "上报与转办", ":material/move_up:", "案件"),
    PageSpec(PageKey.VISITS, "pages.visits", "走访记录", ":material/directions_walk:", "走访帮扶"),
    PageSpec(
        PageKey.ASSISTANCE,
        "pages.assistance",
        "帮扶记录",
        ":material/volunteer_activism:",
        "走访帮扶",
    ),
    PageSpec(PageKey.LIAISON, "pages.liaison", "党员联户", ":material/diversity_3:", "党建联户"),
    PageSpec(
        PageKey.RECEPTION, "pages.reception", "接待日", ":material/record_voice_over:", "党建联户"
    ),
    PageSpec(
        PageKey.DELIBERATION, "pages.deliberation", "三议·民情会诊", ":material/groups:", "党建联户"
    ),
    PageSpec(PageKey.IMPORT, "pages.ledger_import", "台账导入", ":material/upload_file:", "数据"),
    PageSpec(PageKey.REPORTS, "pages.reports", "报表", ":material/summarize:", "数据"),
    PageSpec(PageKey.USERS, "pages.users", "用户管理", ":material/manage_accounts:", "管理"),
    PageSpec(PageKey.AUDIT, "pages.audit", "审计日志", ":material/policy:", "管理"),
    PageSpec(PageKey.CATEGORIES, "pages.categories", "类别管理", ":material/category:", "管理"),
    PageSpec(PageKey.SETUP, "pages.setup", "初始化向导", ":material/flag:", "管理"),
    PageSpec(PageKey.TERRITORY, "pages.territory", "网格管理", ":material/map:", "管理"),
    PageSpec(PageKey.ROSTERS, "pages.rosters", "基础数据", ":material/contacts:", "管理"),
    PageSpec(
        PageKey.CALENDAR, "pages.calendar_admin", "工作日历", ":material/calendar_month:", "管理"
    ),
)
