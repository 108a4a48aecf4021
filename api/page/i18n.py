"""The status page's words in English and Chinese, and which language a request gets.

The language is ``?lang=zh|en`` when given (then remembered in a cookie), else the cookie,
else the best of ``zh`` and ``en`` in ``Accept-Language``, else English. Department
display names are not translated here: they come from the policy file, which has one
name per department (see docs/api.md, "Status page").
"""

from __future__ import annotations

from collections.abc import Mapping

from api.page.i18n_authority import AUTHORITY_MESSAGES
from api.page.i18n_calls import CALLS_MESSAGES

__all__ = ["LANGUAGES", "MESSAGES", "choose_language", "from_accept_language"]

LANGUAGES = ("en", "zh")
DEFAULT = "en"

_BASE: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "SLA Police status",
        "signin": "Sign in",
        "signin_intro": "Sign in with your API token (slap_…). It is kept in a cookie "
                        "this browser sends to this page only.",
        "token": "Token",
        "signin_missing": "Enter a token.",
        "signin_unknown": "This token is not valid (unknown or revoked).",
        "signin_refused": "Sign-in refused: the form was not sent from this site.",
        "signin_ivr": "The ivr role only asks whether a caller is blocked: it has no status "
                      "page.",
        "signout": "Sign out",
        "signed_in_as": "Signed in as",
        "as_of": "As of",
        "refreshes": "refreshes every {n} s",
        "attainment": "Attainment",
        "attainment_note": "Clocks that ended met or breached (cancelled and transferred "
                           "clocks count in neither).",
        "today": "Today",
        "this_month": "This month",
        "department": "Department",
        "met": "met",
        "breached": "breached",
        "no_clocks": "no clock ended",
        "closest": "Closest to breach",
        "closest_unavailable": "Not available yet: the open clocks are not connected to "
                               "this page.",
        "ticket": "Ticket",
        "metric": "Clock",
        "policy": "Policy",
        "due": "Due",
        "time_left": "Time left",
        "paused": "paused",
        "warned": "warned",
        "assignee": "Assignee",
        "latest_breaches": "Latest breaches",
        "breached_at": "Breached at",
        "latest_penalties": "Latest penalties",
        "assessed_at": "Assessed",
        "rule": "Rule",
        "employee": "Employee",
        "fine": "Fine",
        "points": "Points",
        "status": "Status",
        "charged": "charged",
        "reversed": "reversed",
        "open_disputes": "Open disputes",
        "filed_at": "Filed",
        "filed_by": "Filed by",
        "reason": "Reason",
        "ruling_due": "Ruling due",
        "overdue": "overdue",
        "overdue_count": "{n} overdue",
        "scorecard": "Scorecard",
        "scorecard_as_of": "Figures as of {time}, kept up to {n} min",
        "scorecard_note": "Each figure with its change from {previous}: green is better, "
                          "red is worse. Ranked by attainment; fines in {currency}, net of "
                          "reversals. Every column: GET /api/v1/reports/scorecard or "
                          "sla-police report scorecard.",
        "scorecard_trends": "The last 12 months",
        "sc_complaints": "Complaints",
        "sc_complaints_per_1000": "Per 1,000 units",
        "sc_attainment": "Attainment",
        "sc_breaches": "Breaches",
        "sc_repeat_complaints": "Repeats",
        "sc_reopen_rate": "Reopen rate",
        "sc_disputes_upheld_against": "Disputes lost",
        "sc_csat_mean": "CSAT",
        "sc_net_fine": "Net fines",
        "sc_rank": "Rank",
        "chart_attainment": "SLA attainment",
        "chart_complaints": "complaints",
        "chart_complaints_per_1000": "complaints per 1,000 units",
        "chart_csat_mean": "mean CSAT (1-5)",
        "chart_net_fine": "fines, net of reversals",
        "chart_no_data": "no data",
        "actions": "Corrective actions",
        "actions_open": "Open: a fix is due",
        "actions_fixed": "Fixed, awaiting review",
        "actions_reviewed": "Reviewed",
        "category": "Category",
        "opened_at": "Opened",
        "baseline": "Complaints / window",
        "fixed_at": "Declared",
        "declared_by": "Declared by",
        "what_changed": "What changed",
        "changed_at": "Changed at",
        "reviewed_at": "Reviewed",
        "per_day": "Complaints a day: before → after",
        "counts": "{before} before, {after} after",
        "verdict": "Verdict",
        "worked": "worked",
        "not_worked": "did not work",
        "declare_fix": "Declare the fix",
        "dispute": "Dispute",
        "file_dispute": "File a dispute",
        "rule_it": "Rule",
        "outcome": "Outcome",
        "outcome_upheld": "upheld",
        "outcome_rejected": "rejected",
        "to_department": "move to…",
        "payroll": "Payroll",
        "payroll_note": "The month's fines and points per department, as HR's files "
                        "(the same as GET /api/v1/payroll/…).",
        "payroll_detail": "CSV, every line",
        "published_dispute": "Published: dispute {id} of ticket {ticket}.",
        "published_ruling": "Published: ruling ({outcome}) on dispute {id}.",
        "published_fix": "Published: the fix of corrective action {id}.",
        "form_refused": "Not done: {reason}",
        "form_cross_origin": "Not done: the form was not sent from this site.",
        "form_not_for_role": "Not done: the {role} role may not do this.",
        "form_unpublished": "Not done: the event bus is unavailable; try again shortly.",
        "none": "None.",
        "not_for_role": "Not shown to the {role} role.",
        "admin_only": "The admin role manages tokens and reads no business data.",
        "role_department": "department",
        "role_hr": "HR",
        "role_executive": "executive",
        "role_contact_center": "contact center",
        "role_contact_center_lead": "contact-center lead",
        "role_ivr": "IVR",
        "role_admin": "admin",
        "role_auditor": "auditor",
        "unavailable": "The ledger or the principals file is unavailable; see the API's "
                       "log. This page retries by itself.",
    },
    "zh": {
        "title": "SLA Police 服务状态",
        "signin": "登录",
        "signin_intro": "请用 API 令牌（slap_…）登录。令牌保存在 Cookie 中，"
                        "浏览器只会把它发送给本页面。",
        "token": "令牌",
        "signin_missing": "请输入令牌。",
        "signin_unknown": "令牌无效（不存在或已吊销）。",
        "signin_refused": "登录被拒绝：表单不是从本站提交的。",
        "signin_ivr": "IVR 角色只能查询来电者是否被拦截，没有状态页。",
        "signout": "退出",
        "signed_in_as": "当前用户",
        "as_of": "更新于",
        "refreshes": "每 {n} 秒自动刷新",
        "attainment": "达标率",
        "attainment_note": "按已结束的计时统计：达标或违约（取消和转派的计时不计入）。",
        "today": "今日",
        "this_month": "本月",
        "department": "部门",
        "met": "达标",
        "breached": "违约",
        "no_clocks": "暂无结束的计时",
        "closest": "即将违约",
        "closest_unavailable": "暂不可用：未接入未结束计时的数据。",
        "ticket": "工单",
        "metric": "计时",
        "policy": "SLA 策略",
        "due": "到期",
        "time_left": "剩余时间",
        "paused": "已暂停",
        "warned": "已预警",
        "assignee": "处理人",
        "latest_breaches": "最近违约",
        "breached_at": "违约时间",
        "latest_penalties": "最近罚款",
        "assessed_at": "罚款时间",
        "rule": "规则",
        "employee": "员工",
        "fine": "罚款",
        "points": "扣分",
        "status": "状态",
        "charged": "已扣罚",
        "reversed": "已撤销",
        "open_disputes": "待裁决申诉",
        "filed_at": "提交时间",
        "filed_by": "提交人",
        "reason": "理由",
        "ruling_due": "裁决期限",
        "overdue": "已逾期",
        "overdue_count": "{n} 件已逾期",
        "scorecard": "月度考核",
        "scorecard_as_of": "数据计算于 {time}，最多保留 {n} 分钟",
        "scorecard_note": "每项数据下为与 {previous} 相比的变化：绿色为改善，红色为变差。"
                          "按达标率排名；罚款单位 {currency}，已扣除撤销。全部指标见 "
                          "GET /api/v1/reports/scorecard 或 sla-police report scorecard。",
        "scorecard_trends": "近 12 个月趋势",
        "sc_complaints": "投诉量",
        "sc_complaints_per_1000": "每千单投诉",
        "sc_attainment": "达标率",
        "sc_breaches": "违约",
        "sc_repeat_complaints": "重复投诉",
        "sc_reopen_rate": "重开率",
        "sc_disputes_upheld_against": "申诉败诉",
        "sc_csat_mean": "满意度",
        "sc_net_fine": "净罚款",
        "sc_rank": "排名",
        "chart_attainment": "SLA 达标率",
        "chart_complaints": "投诉量",
        "chart_complaints_per_1000": "每千单投诉",
        "chart_csat_mean": "平均满意度 (1-5)",
        "chart_net_fine": "净罚款（已扣除撤销）",
        "chart_no_data": "无数据",
        "actions": "整改措施",
        "actions_open": "待整改",
        "actions_fixed": "已整改，待复核",
        "actions_reviewed": "已复核",
        "category": "类别",
        "opened_at": "开启时间",
        "baseline": "投诉数 / 窗口",
        "fixed_at": "申报时间",
        "declared_by": "申报人",
        "what_changed": "整改内容",
        "changed_at": "生效时间",
        "reviewed_at": "复核时间",
        "per_day": "日均投诉：整改前 → 整改后",
        "counts": "整改前 {before} 件，整改后 {after} 件",
        "verdict": "结论",
        "worked": "有效",
        "not_worked": "无效",
        "declare_fix": "申报整改",
        "dispute": "申诉",
        "file_dispute": "提交申诉",
        "rule_it": "裁决",
        "outcome": "裁决结果",
        "outcome_upheld": "支持申诉",
        "outcome_rejected": "驳回",
        "to_department": "转给…",
        "payroll": "薪资扣罚",
        "payroll_note": "本月各部门的罚款和扣分，即人事使用的文件（同 GET /api/v1/payroll/…）。",
        "payroll_detail": "CSV（全部明细）",
        "published_dispute": "已提交：工单 {ticket} 的申诉 {id}。",
        "published_ruling": "已提交：申诉 {id} 的裁决（{outcome}）。",
        "published_fix": "已提交：整改措施 {id} 的整改申报。",
        "form_refused": "未执行：{reason}",
        "form_cross_origin": "未执行：表单不是从本站提交的。",
        "form_not_for_role": "未执行：{role}角色无权执行此操作。",
        "form_unpublished": "未执行：消息总线暂不可用，请稍后重试。",
        "none": "无。",
        "not_for_role": "{role}角色不可查看。",
        "admin_only": "管理员角色只管理令牌，不查看业务数据。",
        "role_department": "部门",
        "role_hr": "人事",
        "role_executive": "管理层",
        "role_contact_center": "客服中心",
        "role_contact_center_lead": "客服中心主管",
        "role_ivr": "IVR",
        "role_admin": "管理员",
        "role_auditor": "审计员",
        "unavailable": "账本或用户文件暂不可用，请查看 API 日志。本页面会自动重试。",
    },
}

#: Every word of the page: the base sections, then agent authority's, then the calls'.
MESSAGES: Mapping[str, Mapping[str, str]] = {
    lang: {**_BASE[lang], **AUTHORITY_MESSAGES[lang], **CALLS_MESSAGES[lang]}
    for lang in LANGUAGES}


def from_accept_language(header: str | None) -> str | None:
    """The language of ``LANGUAGES`` the ``Accept-Language`` header prefers (highest
    ``q``, then the first listed), or None when it names neither."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if weight > 0 and (best is None or (-weight, position) < (-best[0], best[1])):
            best = (weight, position, primary)
    return best[2] if best else None


def choose_language(query: str | None, cookie: str | None,
                    accept_language: str | None) -> tuple[str, bool]:
    """The request's language, and whether to remember it (it came from ``?lang=``)."""
    if query in LANGUAGES:
        return query, True
    if cookie in LANGUAGES:
        return cookie, False
    return from_accept_language(accept_language) or DEFAULT, False
