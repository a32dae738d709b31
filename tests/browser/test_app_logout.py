"""Logging out of the phone app ends the session on the server, not only on the phone: a copy
of the token taken from the phone opens nothing afterwards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo


def _open_sessions(username: str) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM user_session s JOIN app_user u ON u.id = s.user_id "
            "WHERE u.username = :u AND s.ended_at IS NULL"), {"u": username}).scalar_one())


def test_logging_out_of_the_app_ends_the_session_on_the_server(browser: Any, live: Any) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    page = browser.new_page()
    page.goto(f"{live.url}/app/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "worker-wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("a[href='#deliveries']")
    assert _open_sessions("worker-wang") == 1
    page.click("text=退出登录")
    page.wait_for_selector("input[name=username]")
    assert _open_sessions("worker-wang") == 0
    page.close()
