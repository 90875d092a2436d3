"""Delivery of the day's digest through apprise to real receivers on 127.0.0.1: an SMTP server (aiosmtpd) and
HTTP servers for JSON webhooks and the Slack/Discord/Telegram payload shapes. The reports are the demo day's,
written once per session by the real `aidigest run` from the recorded responses. Nothing touches the network."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.receivers import HookServer, SmtpServer  # noqa: E402

from aidigest.config import Config  # noqa: E402
from aidigest.deliver import build_short_form, notify_day, pack, site_page_url  # noqa: E402
from aidigest.deliver.shortform import Line, ShortForm, load_digest  # noqa: E402
from aidigest.deliver.notify import NotifyOptions  # noqa: E402
from aidigest.infra.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"
DAY = dt.date(2026, 8, 2)
SECRET = "s3cr3t-T0KEN-4242"


def aidigest(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "COLUMNS": "200"})
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_day(tmp_path_factory):
    """The demo day run once by the CLI with --notify to a JSON webhook: (workdir, out dir, store, hook requests)."""
    work = tmp_path_factory.mktemp("notify")
    with HookServer() as hooks:
        r = aidigest(
            "-v", "run", "--date", "2026-08-02", "--replay", str(DEMO), "--db", str(work / "s.db"),
            "--out", str(work / "reports"), "--llm", "none", "--notify",
            cwd=work, env={"AIDIGEST_NOTIFY": f"json://127.0.0.1:{hooks.port}/hook/${{HOOK_TOKEN}}", "HOOK_TOKEN": SECRET},
        )
    assert r.returncode == 0, r.stderr
    return work, work / "reports", work / "s.db", hooks.requests, r


def test_run_notify_sends_each_kind_once_and_logs_the_final_line(demo_day):
    work, out, db, requests, r = demo_day
    assert sorted(q.path for q in requests) == [f"/hook/{SECRET}"] * 2  # news + papers
    payloads = [q.json for q in requests]
    titles = sorted(p["title"] for p in payloads)
    assert titles == ["AI 다이제스트 2026-08-02 · 논문", "AI 다이제스트 2026-08-02 · 뉴스"]
    news = next(p for p in payloads if p["title"].endswith("뉴스"))
    digest = load_digest(out / "2026-08-02" / "News_2026-08-02.json")
    top = digest.sections[0].entries[0]
    assert top.url in news["message"] and digest.sections[0].name in news["message"]
    # the health note: the demo recording has no techreview_kr response
    assert "techreview\\_kr" in news["message"]  # Markdown-escaped
    # the final log line says the day, the counts and the paths
    final = [ln for ln in r.stderr.splitlines() if "run 2026-08-02 done" in ln]
    assert final and "items (news" in final[0] and str(out / "2026-08-02") in final[0] and str(db) in final[0]
    # -v names the store and output used
    assert f"store: {db}" in r.stderr and f"output: {out}" in r.stderr
    # the secret is neither printed nor stored
    assert SECRET not in r.stdout + r.stderr
    assert SECRET.encode() not in db.read_bytes() and SECRET.encode() not in (Path(str(db) + "-wal").read_bytes() if Path(str(db) + "-wal").exists() else b"")
    rows = sqlite3.connect(db).execute("SELECT kind, status, target, label FROM deliveries ORDER BY kind").fetchall()
    assert [(k, s) for k, s, _, _ in rows] == [("news", "sent"), ("paper", "sent")]
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) and SECRET not in lab for _, _, t, lab in rows)


def test_email_has_both_parts_korean_links_and_dated_subject(demo_day, tmp_path):
    _, out, db, _, _ = demo_day
    with SmtpServer() as smtp:
        url = f"mailto://127.0.0.1:{smtp.port}?from=digest@example.com&to=reader@example.com&mode=insecure"
        r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(out), cwd=tmp_path,
                     env={"AIDIGEST_NOTIFY": url, "AIDIGEST_SITE_URL": "https://me.github.io/digest"})
        assert r.returncode == 0, r.stderr
        msgs = smtp.messages
        assert [e.rcpt_tos for e in smtp.envelopes] == [["reader@example.com"]] * 2
    news = next(m for m in msgs if "뉴스" in m["Subject"])
    assert "2026-08-02" in news["Subject"] and news.get_content_type() == "multipart/alternative"
    plain = news.get_body(("plain",)).get_content()
    html_part = news.get_body(("html",)).get_content()
    digest = load_digest(out / "2026-08-02" / "News_2026-08-02.json")
    for sec in digest.sections[:3]:
        assert sec.name in plain and sec.name in html_part  # Korean category names intact in both parts
        for e in sec.entries[:3]:
            assert e.url in plain  # every link whole in the plain part
            assert f'href="{e.url.replace("&", "&amp;")}"' in html_part
    page = "https://me.github.io/digest/day/2026-08-02-news.html"
    assert page in plain and f'href="{page}"' in html_part
    assert "전체 보기" in plain


def test_failing_target_does_not_block_others_is_retried_and_nothing_is_sent_twice(demo_day, tmp_path):
    _, out, _, _, _ = demo_day
    db = tmp_path / "d.db"
    with HookServer() as hooks:
        hooks.status["/down"] = 500
        targets = f"json://127.0.0.1:{hooks.port}/down/${{HOOK_TOKEN}} json://127.0.0.1:{hooks.port}/up"
        env = {"AIDIGEST_NOTIFY": targets, "HOOK_TOKEN": SECRET}
        r1 = aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r1.returncode == 4, r1.stderr
        assert "FAILED" in r1.stdout and "500" in r1.stdout and "retried on the next run" in r1.stderr
        assert SECRET not in r1.stdout + r1.stderr and f"#1 json://127.0.0.1:{hooks.port}: FAILED" in r1.stdout
        assert len(hooks.to("/up")) == 2 and len(hooks.to("/down")) >= 2  # the failure did not stop /up

        # rerun while still down: /up is not resent, /down is tried again
        down_before = len(hooks.to("/down"))
        r2 = aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r2.returncode == 4 and "already sent" in r2.stdout
        assert len(hooks.to("/up")) == 2 and len(hooks.to("/down")) > down_before

        # the target recovers: sent once, then a rerun sends nothing at all
        hooks.status.clear()
        r3 = aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r3.returncode == 0, r3.stdout + r3.stderr
        n = len(hooks.requests)
        r4 = aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r4.returncode == 0 and len(hooks.requests) == n and r4.stdout.count("already sent") == 4
    rows = sqlite3.connect(db).execute("SELECT status, attempts FROM deliveries ORDER BY attempts").fetchall()
    assert rows == [("sent", 1), ("sent", 1), ("sent", 3), ("sent", 3)]


def test_a_failed_delivery_is_retried_by_the_next_days_run(demo_day, tmp_path):
    """A daily schedule never asks for day D again: the run of D+1 retries what failed for D."""
    _, demo_out, _, _, _ = demo_day
    out = tmp_path / "reports"
    shutil.copytree(demo_out / "2026-08-02", out / "2026-08-02")
    # the next day's report: the demo day's export under the next date (only the news kind)
    nxt = load_digest(out / "2026-08-02" / "News_2026-08-02.json").model_copy(update={"day": DAY + dt.timedelta(days=1)})
    (out / "2026-08-03").mkdir()
    (out / "2026-08-03" / "News_2026-08-03.json").write_text(nxt.model_dump_json(), encoding="utf-8")
    db = tmp_path / "d.db"
    with HookServer() as hooks:
        hooks.status["/down"] = 500
        env = {"AIDIGEST_NOTIFY": f"json://127.0.0.1:{hooks.port}/down json://127.0.0.1:{hooks.port}/up"}
        r1 = aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r1.returncode == 4
        hooks.status.clear()
        r2 = aidigest("notify", "--date", "2026-08-03", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r2.returncode == 0, r2.stdout + r2.stderr
        titles = lambda prefix: sorted(q.json["title"] for q in hooks.to(prefix))  # noqa: E731
        # /up: 08-02 twice (news, papers) on the first run, 08-03 once; nothing resent
        assert titles("/up") == ["AI 다이제스트 2026-08-02 · 논문", "AI 다이제스트 2026-08-02 · 뉴스", "AI 다이제스트 2026-08-03 · 뉴스"]
        # /down: both 08-02 kinds failed once, then were retried with 08-03's run, plus 08-03 itself
        assert titles("/down").count("AI 다이제스트 2026-08-02 · 뉴스") == 2
        assert titles("/down").count("AI 다이제스트 2026-08-03 · 뉴스") == 1
        assert "2026-08-02 paper" in r2.stdout and "2026-08-03 news" in r2.stdout
        # everything delivered: a third run sends nothing
        n = len(hooks.requests)
        r3 = aidigest("notify", "--date", "2026-08-03", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env)
        assert r3.returncode == 0 and len(hooks.requests) == n


def test_a_literal_url_from_the_environment_is_never_shown(demo_day, tmp_path):
    _, out, _, _, _ = demo_day
    literal = "literal-webhook-token-9f8e7d"
    with HookServer() as hooks:
        hooks.status["/down"] = 500
        env = {"AIDIGEST_NOTIFY": f"json://127.0.0.1:{hooks.port}/down/{literal}?key={literal}x"}
        r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(out), cwd=tmp_path, env=env)
    assert r.returncode == 4 and len(hooks.to("/down")) == 2
    assert literal not in r.stdout + r.stderr and literal.encode() not in (tmp_path / "d.db").read_bytes()


def test_a_pending_failed_delivery_is_named_in_the_next_reports_run_health(demo_day, tmp_path):
    _, out, _, _, _ = demo_day
    db = tmp_path / "d.db"
    with HookServer() as hooks:
        hooks.status["/down"] = 500
        env = {"AIDIGEST_NOTIFY": f"json://127.0.0.1:{hooks.port}/down"}
        assert aidigest("notify", "--date", "2026-08-02", "--db", str(db), "--out", str(out), cwd=tmp_path, env=env).returncode == 4
    r = aidigest("run", "--date", "2026-08-02", "--replay", str(DEMO), "--db", str(db), "--out", str(tmp_path / "r"),
                 "--llm", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "r" / "2026-08-02" / "News_2026-08-02_report.md").read_text()
    # in the report's language (it was an English line in the Korean report); the run record keeps the English note
    assert "전송에 실패해 다음 notify 때 다시 보낼 보고서 2건 (2026-08-02 뉴스, 2026-08-02 논문)" in md
    assert "deliveries that failed" not in md


def test_unset_variable_names_it_and_fails_only_that_target(demo_day, tmp_path):
    _, out, _, _, _ = demo_day
    with HookServer() as hooks:
        env = {"AIDIGEST_NOTIFY": f"${{NOT_SET_ANYWHERE}} json://127.0.0.1:{hooks.port}/up"}
        r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(out), cwd=tmp_path, env=env)
    assert r.returncode == 4 and "NOT_SET_ANYWHERE is not set" in r.stdout and len(hooks.to("/up")) == 2


def test_an_unreadable_export_fails_that_report_only(demo_day, tmp_path):
    _, demo_out, _, _, _ = demo_day
    out = tmp_path / "reports"
    shutil.copytree(demo_out / "2026-08-02", out / "2026-08-02")
    (out / "2026-08-02" / "Papers_2026-08-02.json").write_text('{"day": "2026-08-02", "kind": "paper"', encoding="utf-8")
    with HookServer() as hooks:
        env = {"AIDIGEST_NOTIFY": f"json://127.0.0.1:{hooks.port}/up"}
        r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(out), cwd=tmp_path, env=env)
    assert r.returncode == 4 and "Traceback" not in r.stderr
    assert "Papers_2026-08-02.json is not a readable digest export" in r.stdout
    assert [q.json["title"] for q in hooks.requests] == ["AI 다이제스트 2026-08-02 · 뉴스"]


def test_notify_without_report_or_targets_is_one_line(tmp_path):
    r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path), cwd=tmp_path,
                 env={"AIDIGEST_NOTIFY": "json://127.0.0.1:9/x"})
    assert r.returncode == 2 and "no report for 2026-08-02" in r.stderr and "Traceback" not in r.stderr
    r = aidigest("notify", "--date", "2026-08-02", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "no delivery targets" in r.stderr


# ---- chat payload shapes: apprise's plugins pointed at 127.0.0.1 ----------------------------------------
@pytest.fixture
def chat_hosts(monkeypatch):
    """Point apprise's Slack, Discord and Telegram plugins at a local server (their API hosts are class
    attributes; everything else — payload building, splitting, HTTP — is apprise's real code)."""
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.slack import NotifySlack
    from apprise.plugins.telegram import NotifyTelegram

    with HookServer() as hooks:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"{hooks.base}/slack/services")
        monkeypatch.setattr(NotifyDiscord, "notify_url", f"{hooks.base}/discord/api/webhooks")
        monkeypatch.setattr(NotifyTelegram, "notify_url", f"{hooks.base}/telegram/bot")
        monkeypatch.setattr(NotifyDiscord, "request_rate_per_sec", 0, raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        yield hooks


def _deliver(out: Path, db: Path, targets: list[str], env: dict, site: str = "https://me.github.io/digest"):
    cfg = Config()
    cfg = cfg.updated(notify={"targets": targets, "site_url": site})
    with Store(db) as store:
        return notify_day(DAY, out, cfg, store, options=NotifyOptions(env=env))


def test_slack_discord_telegram_payloads(demo_day, tmp_path, chat_hosts):
    _, out, _, _, _ = demo_day
    env = {"SLACK_TOKEN_C": "TIiajkdnlazkcOXrIdevi7", "TG_TOKEN": "123456789:abcdefghijklmnopqrstuvwxyzABCDEFGHI"}
    targets = [
        "slack://T1JJ3T3L2/A1BRTD4JD/${SLACK_TOKEN_C}",
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "tgram://${TG_TOKEN}/-1001234567890",
    ]
    res = _deliver(out, tmp_path / "d.db", targets, env)
    assert not res.failed, [d.error for d in res.failed]
    digest = load_digest(out / "2026-08-02" / "News_2026-08-02.json")
    first = digest.sections[0].entries[0].url

    slack = [q for q in chat_hosts.to("/slack/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7")]
    assert len(slack) == 2
    sp = next(q.json for q in slack if "뉴스" in json.dumps(q.json, ensure_ascii=False))
    text = json.dumps(sp, ensure_ascii=False)
    assert f"<{first}|" in text  # a Slack link, made by apprise from the Markdown link
    assert "2026-08-02" in text

    discord = chat_hosts.to("/discord/api/webhooks/4174216298/")
    assert discord and all(len(q.json["content"]) <= 2000 for q in discord)
    joined = "\n".join(q.json["content"] for q in discord)
    assert f"({first})" in joined and "뉴스" in joined

    tg = chat_hosts.to("/telegram/bot123456789:abcdefghijklmnopqrstuvwxyzABCDEFGHI/sendMessage")
    assert len(tg) >= 2 and all(len(q.json["text"]) <= 4096 for q in tg)  # each kind, split at Telegram's limit
    tp = next(q.json for q in tg if "뉴스" in q.json["text"])
    assert tp["chat_id"] in ("-1001234567890", -1001234567890) and tp["parse_mode"] == "HTML"
    assert f'<a href="{first.replace("&", "&amp;")}">' in tp["text"] and len(tp["text"]) <= 4096


def test_long_digest_is_split_for_discord_and_no_link_is_cut(demo_day, tmp_path, chat_hosts):
    _, out, _, _, _ = demo_day
    cfg_top = 8  # many items per category: more than one Discord message
    cfg = Config()
    cfg = cfg.updated(notify={"targets": ["discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"], "top": cfg_top})
    with Store(tmp_path / "d.db") as store:
        res = notify_day(DAY, out, cfg, store, options=NotifyOptions(env={}, kinds=("paper",)))
    assert not res.failed, [d.error for d in res.failed]
    msgs = [q.json["content"] for q in chat_hosts.to("/discord/")]
    assert len(msgs) >= 2 and all(len(m) <= 2000 for m in msgs)
    digest = load_digest(out / "2026-08-02" / "Papers_2026-08-02.json")
    urls = [e.url for s in digest.sections for e in s.entries[:cfg_top]]
    joined = "\n".join(msgs)
    for u in urls:
        assert f"({u})" in joined  # each link whole, in one message


# ---- the short form without a network -------------------------------------------------------------------
def test_pack_shortens_text_never_the_link():
    long_url = "https://example.com/" + "a" * 150
    sf = ShortForm(day=DAY, kind="news", language="ko", title="t",
                   lines=[Line("heading", "🧠 모델 (1)"), Line("item", "가나다 " * 200, long_url)])
    for fmt, limit in (("markdown", 400), ("html", 400), ("text", 400), ("email", 800)):
        bodies = pack(sf, fmt, limit)
        assert all(len(b) <= limit for b in bodies), fmt
        assert any(long_url in b for b in bodies) and "…" in "".join(bodies)
    with pytest.raises(ValueError, match="does not fit"):
        pack(sf, "text", 60)


def test_fetched_text_is_escaped():
    sf = ShortForm(day=DAY, kind="news", language="en", title="t",
                   lines=[Line("item", '<script>x</script> [click](http://evil) *bold*', "https://ok.example/a?b=1&c=2")])
    h = pack(sf, "html", 0)[0]
    assert "<script>" not in h and "&lt;script&gt;" in h and 'href="https://ok.example/a?b=1&amp;c=2"' in h
    md = pack(sf, "markdown", 0)[0]
    assert "[click](http://evil)" not in md and r"\[click\]" in md and r"\*bold\*" in md


def test_site_page_url_convention():
    assert site_page_url("https://me.github.io/digest/", DAY, "paper") == "https://me.github.io/digest/day/2026-08-02-papers.html"
    assert site_page_url("", DAY, "news") is None


def test_health_line_only_when_something_fell_back(demo_day):
    _, out, _, _, _ = demo_day
    d = load_digest(out / "2026-08-02" / "News_2026-08-02.json")
    assert build_short_form(d).lines[-1].role == "health"
    clean = d.model_copy(deep=True)
    clean.health.outcomes = [o for o in clean.health.outcomes if o.status == "ok"]
    clean.health.fallbacks = {}
    assert all(ln.role != "health" for ln in build_short_form(clean).lines)


def test_store_migration_adds_deliveries_to_an_old_store(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    from legacy_schema import MIGRATIONS

    from aidigest.infra.store import SCHEMA_VERSION

    for i, script in enumerate(MIGRATIONS[:2], start=1):
        con.executescript(script)
        con.execute(f"PRAGMA user_version = {i}")
    con.commit()
    con.close()
    with Store(db) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.query_one("SELECT COUNT(*) FROM deliveries")[0] == 0
