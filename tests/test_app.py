import pytest
from sqlalchemy import func, select

from intake import create_app, database_url
from intake.extensions import db
from intake.models import Program


def test_seed_is_idempotent(runner, ctx):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "Seeded 0 program(s)." in result.output  # the app fixture seeded already
    assert db.session.scalar(select(func.count()).select_from(Program)) == 4


def test_seed_keeps_an_admins_edits(runner, ctx):
    program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
    program.name = "Edited by an admin"
    db.session.commit()
    runner.invoke(args=["seed"])
    db.session.refresh(program)
    assert program.name == "Edited by an admin"


def test_refuses_to_start_without_a_secret_key_outside_local_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("INTAKE_SECRET_KEY", raising=False)
    monkeypatch.delenv("INTAKE_LOCAL", raising=False)
    with pytest.raises(RuntimeError, match="INTAKE_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_refuses_flask_mails_max_emails_and_names_the_setting_that_does_it(tmp_path):
    with pytest.raises(RuntimeError, match="INTAKE_OUTBOX_BATCH_SIZE"):
        create_app(
            {
                "LOCAL": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
                "MAIL_MAX_EMAILS": 20,
            }
        )


def test_local_mode_keeps_a_generated_key_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("INTAKE_SECRET_KEY", raising=False)
    config = {"LOCAL": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"}
    first = create_app(config)
    second = create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_selects_psycopg(given, expected):
    assert database_url(given) == expected


@pytest.mark.usefixtures("_schema")
def test_healthz_says_so_when_the_database_is_down(app_config):
    app = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
