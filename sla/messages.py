"""The words of every message a department receives, in English and Chinese.

Plain :meth:`str.format` templates, one table per language, so a message is a pure function
of the event, the department's language and the display names (stream == replay). The
English table is the text SLA Police always sent (tests compare it byte for byte); the
Chinese one says the same for 中文 readers. Placeholders: ``ticket``, ``metric`` (already
translated), ``target`` (the duration as the policy writes it, ``2d``), ``pct``, ``policy``,
``due``, ``fine``, ``currency``, ``points``, ``rule``, ``who``, ``why``, ``reason``,
``penalty_id``, ``dispute_id``, ``department`` and ``to_department`` (display names).

Adding a language: copy the ``en`` table, translate the values, add the code to
:data:`sla.specs.LANGUAGES`; ``tests/sla/test_messages.py`` checks that every table has the
same keys and placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

__all__ = ["TEMPLATES", "digest_text", "render", "when"]

TEMPLATES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "warning.title": "SLA at {pct}: {ticket} {metric}",
        "warning.body": "Ticket {ticket} has used {pct} of its {target} {metric} target "
                        "(policy {policy}); due {due}.",
        "breach.title": "SLA breached: {ticket} {metric}",
        "breach.body": "Ticket {ticket} missed its {target} {metric} target "
                       "(policy {policy}) at {due}.",
        "penalty.title": "Penalty: {fine} {currency}, {points} point(s) ({rule})",
        "penalty.body": "Ticket {ticket}: {rule} penalty of {fine} {currency} and "
                        "{points} point(s){who}.",
        "penalty.who": " charged to {assignee}",
        "reversed.title": "Penalty reversed: {fine} {currency} ({rule})",
        "reversed.body": "Ticket {ticket}: penalty {penalty_id} reversed ({reason}).",
        "filed.title": "Dispute filed: {ticket}",
        "filed.body": "Ticket {ticket}, which you hold, is disputed by {department} "
                      "({reason}); if the ruling upholds it, the ticket moves.",
        "rejected.title": "Dispute rejected: {ticket}",
        "rejected.body": "Ticket {ticket}: your dispute {dispute_id} was rejected{why}; "
                         "nothing changes.",
        "upheld.title": "Dispute upheld: {ticket}",
        "upheld.body": "Ticket {ticket}: your dispute {dispute_id} was upheld{why}; the "
                       "ticket moves to {to_department} and any penalties of yours for it "
                       "are reversed.",
        "given.title": "Ticket given to you: {ticket}",
        "given.body": "Ticket {ticket} is now yours: the dispute of {department} was "
                      "upheld{why}.",
        "why": " ({reason})",
        "working_time": "{target} (working time)",
        "metric.acknowledge": "acknowledge",
        "metric.resolve": "resolve",
        "digest.title": "{department}: {count} notification(s)",
        "digest.section": "**{label}** ({count})",
        "digest.more": "... and {more} more",
        "severity.breach": "Breaches",
        "severity.warning": "Warnings",
        "severity.penalty": "Penalties",
        "severity.info": "Information",
    },
    "zh": {
        "warning.title": "SLA 已用 {pct}：{ticket} {metric}",
        "warning.body": "工单 {ticket} 的 {target} {metric}时限已用 {pct}（政策 {policy}），"
                        "截止 {due}。",
        "breach.title": "SLA 超时：{ticket} {metric}",
        "breach.body": "工单 {ticket} 未在 {target} {metric}时限内完成（政策 {policy}），"
                       "已于 {due} 超时。",
        "penalty.title": "处罚：{fine} {currency}，{points} 分（{rule}）",
        "penalty.body": "工单 {ticket}：按规则 {rule} 罚款 {fine} {currency}，"
                        "扣 {points} 分{who}。",
        "penalty.who": "，记在 {assignee} 名下",
        "reversed.title": "处罚已撤销：{fine} {currency}（{rule}）",
        "reversed.body": "工单 {ticket}：处罚 {penalty_id} 已撤销（{reason}）。",
        "filed.title": "收到申诉：{ticket}",
        "filed.body": "你部门处理中的工单 {ticket} 被 {department} 申诉（{reason}）；"
                      "若申诉成立，工单将转出。",
        "rejected.title": "申诉被驳回：{ticket}",
        "rejected.body": "工单 {ticket}：你部门的申诉 {dispute_id} 被驳回{why}，一切不变。",
        "upheld.title": "申诉成立：{ticket}",
        "upheld.body": "工单 {ticket}：你部门的申诉 {dispute_id} 成立{why}，工单转至 "
                       "{to_department}，你部门因此工单受到的处罚已撤销。",
        "given.title": "工单转给你部门：{ticket}",
        "given.body": "工单 {ticket} 现由你部门负责：{department} 的申诉成立{why}。",
        "why": "（{reason}）",
        "working_time": "{target}（工作时间）",
        "metric.acknowledge": "响应",
        "metric.resolve": "解决",
        "digest.title": "{department}：{count} 条通知",
        "digest.section": "**{label}**（{count}）",
        "digest.more": "……另有 {more} 条",
        "severity.breach": "超时",
        "severity.warning": "预警",
        "severity.penalty": "处罚",
        "severity.info": "通知",
    },
}

#: Most lines a digest lists before "and N more": a chat message a person reads.
DIGEST_LINES = 30
_SECTIONS = ("breach", "warning", "penalty", "info")


def render(language: str, key: str, **values: object) -> str:
    """Template ``key`` of ``language`` (English when the language has no table)."""
    table = TEMPLATES.get(language, TEMPLATES["en"])
    return table[key].format(**values)


def when(language: str, moment: datetime) -> str:
    """An instant as each language reads it: ISO 8601 in English (as always), ``YYYY-MM-DD
    HH:MM`` in the event's own offset in Chinese."""
    return moment.isoformat() if language == "en" else moment.strftime("%Y-%m-%d %H:%M")


def digest_text(language: str, department: str,
                items: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(title, body) of a digest of ``items`` ((severity, title) pairs, in order) for the
    department whose display name is ``department``: grouped by severity, breaches first,
    at most :data:`DIGEST_LINES` titles listed."""
    title = render(language, "digest.title", department=department, count=len(items))
    lines: list[str] = []
    listed = 0
    for severity in (*_SECTIONS, *sorted({s for s, _ in items} - set(_SECTIONS))):
        titles = [t for s, t in items if s == severity]
        if not titles:
            continue
        label = (render(language, f"severity.{severity}") if severity in _SECTIONS
                 else severity)
        lines.append(render(language, "digest.section", label=label, count=len(titles)))
        shown = titles[:max(0, DIGEST_LINES - listed)]
        lines += [f"- {t}" for t in shown]
        listed += len(shown)
    if listed < len(items):
        lines.append(render(language, "digest.more", more=len(items) - listed))
    return title, "\n".join(lines)
