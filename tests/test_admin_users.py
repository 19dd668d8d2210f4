"""Accounts on the web for administrators, and every account or role change in the audit trail
(whether made on the page or from the command line)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.users import create_user
from tests.conftest import PASSWORD, sign_in


def _post(client: TestClient, headers: dict[str, str], **data: str) -> int:
    r = client.post("/admin/anvandare", headers={"Cookie": headers["Cookie"]},
                    data={"csrf": headers["X-CSRF-Token"], **data}, follow_redirects=False)
    client.cookies.clear()
    return r.status_code


def test_an_admin_manages_accounts_and_every_change_is_audited(client: TestClient, people: dict[str, str],
                                                              session: Session) -> None:
    admin = sign_in(client, people["admin"])
    page = client.get("/admin/anvandare", headers={"Cookie": admin["Cookie"]})
    client.cookies.clear()
    assert page.status_code == 200 and people["analyst"] in page.text
    assert _post(client, admin, action="create", username="Ny.Analytiker@mjolby.test", role="analyst",
                 organisation="kommunen", password=PASSWORD) == 303
    new = sign_in(client, "ny.analytiker@mjolby.test")  # the new account signs in
    assert _post(client, admin, action="role", username="ny.analytiker@mjolby.test", role="reporter",
                 organisation="socialtjansten") == 303
    assert client.get("/lagesbild", headers={"Cookie": new["Cookie"]}, follow_redirects=False).status_code == 403
    client.cookies.clear()
    assert _post(client, admin, action="disable", username="ny.analytiker@mjolby.test") == 303
    assert client.get("/rapporter", headers={"Cookie": new["Cookie"]}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    rows = session.execute(text("""SELECT action, actor, detail FROM audit_log
        WHERE path = 'user ny.analytiker@mjolby.test' ORDER BY id""")).all()
    assert [(a, actor) for a, actor, _ in rows] == [("user_create", people["admin"]), ("role_change", people["admin"]),
                                                   ("user_disable", people["admin"])]
    assert rows[1][2]["from"]["role"] == "analyst" and rows[1][2]["to"] == {"role": "reporter",
                                                                          "organisation": "socialtjansten"}


def test_admins_cannot_demote_or_disable_themselves_and_others_cannot_manage(client: TestClient,
                                                                          people: dict[str, str]) -> None:
    admin = sign_in(client, people["admin"])
    assert _post(client, admin, action="role", username=people["admin"], role="analyst") == 422
    assert _post(client, admin, action="disable", username=people["admin"]) == 422
    assert _post(client, admin, action="create", username="kort@mjolby.test", role="analyst", password="kort") == 422
    analyst = sign_in(client, people["analyst"])
    assert _post(client, analyst, action="create", username="x@mjolby.test", role="admin") == 403
    bad_csrf = {**admin, "X-CSRF-Token": "fel"}
    assert _post(client, bad_csrf, action="create", username="y@mjolby.test", role="analyst") == 403


def test_command_line_account_changes_are_audited_too(session: Session) -> None:
    create_user(session, username="cli.konto@mjolby.test", role="planner", organisation="polisen",
                password=PASSWORD)
    actor, method = session.execute(text("""SELECT actor, method FROM audit_log
        WHERE action = 'user_create' AND path = 'user cli.konto@mjolby.test'""")).one()
    assert method == "CLI" and "cli" in actor  # e.g. "root (cli)"


def test_people_change_their_own_password(client: TestClient, session: Session) -> None:
    create_user(session, username="byter@mjolby.test", role="planner", password=PASSWORD)
    headers = sign_in(client, "byter@mjolby.test")

    def change(current: str, new: str, repeat: str) -> tuple[int, str]:
        r = client.post("/konto", headers={"Cookie": headers["Cookie"]}, data={
            "csrf": headers["X-CSRF-Token"], "current_password": current, "new_password": new,
            "repeat_password": repeat})
        client.cookies.clear()
        return r.status_code, r.text

    assert change("fel-lösenord-här", "ett-helt-nytt-lösen", "ett-helt-nytt-lösen")[1].count(
        "Det nuvarande lösenordet stämmer inte") == 1
    assert "De två nya lösenorden är olika" in change(PASSWORD, "ett-helt-nytt-lösen", "ett-annat-nytt-lösen")[1]
    status, page = change(PASSWORD, "ett-helt-nytt-lösen", "ett-helt-nytt-lösen")
    assert status == 200 and "Lösenordet är bytt" in page
    assert client.post("/logga-in", data={"username": "byter@mjolby.test", "password": PASSWORD},
                       follow_redirects=False).status_code == 401
    sign_in(client, "byter@mjolby.test", "ett-helt-nytt-lösen")


def test_the_command_line_manages_accounts_and_refuses_clearly(session: Session) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["user", "create", "--username", "Cli.Person@mjolby.test", "--role", "planner",
                               "--organisation", "polisen", "--password-stdin"], input=f"{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    moved = runner.invoke(app, ["user", "role", "cli.person@mjolby.test", "--role", "analyst"])
    assert moved.exit_code == 0, moved.output
    short = runner.invoke(app, ["user", "password", "cli.person@mjolby.test", "--password-stdin"], input="kort\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    unknown = runner.invoke(app, ["user", "role", "ingen@mjolby.test", "--role", "analyst"])
    assert unknown.exit_code == 2 and "no user" in unknown.output
    assert session.execute(text("SELECT role FROM users WHERE username = 'cli.person@mjolby.test'")).scalar() == \
        "analyst"
