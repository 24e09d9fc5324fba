"""bench/application_post.py end to end, tiny: its warm-up and three POSTs into a SQLite
file with the programs seeded. It checks the script measures real applications (each one 303, its
applicant and its one "received" e-mail in the database), not the speed."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.application_post import WARM_UP_POSTS
from intake import create_app
from intake.extensions import db
from intake.models import Applicant, OutboxMessage
from intake.programs.services import seed_default_programs
from tests.bench.support import redis_listens

ROOT = Path(__file__).resolve().parent.parent.parent

# SQLite of its own, whatever TEST_DATABASE_URL says.
pytestmark = pytest.mark.own_database


@pytest.mark.skipif(not redis_listens(), reason="no Redis on 127.0.0.1:6379 for the rate limits")
def test_the_post_bench_sends_real_applications(tmp_path):
    url = f"sqlite:///{tmp_path}/post.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        seed_default_programs(datetime.now(UTC))
        db.session.commit()
        db.engine.dispose()

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    done = subprocess.run(
        [sys.executable, "bench/application_post.py", "--posts", "3", "--rounds", "1"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = re.search(
        r"round 1: POST [\d.]+ ms \(median of 3\), CPU [\d.]+ ms, in the driver [\d.]+ ms "
        r"\([\d.]+ statements and the commit\); bare DB page [\d.]+ ms; ratio [\d.]+",
        done.stdout,
    )
    assert line, done.stdout

    with app.app_context():
        applicants = db.session.scalar(select(func.count()).select_from(Applicant))
        received = db.session.scalars(
            select(OutboxMessage.applicant_id).where(
                OutboxMessage.template == "application_received"
            )
        ).all()
        db.engine.dispose()
    # The warm-up's POSTs, then the round's three.
    assert applicants == WARM_UP_POSTS + 3
    assert len(received) == WARM_UP_POSTS + 3
    assert len(set(received)) == WARM_UP_POSTS + 3


@pytest.mark.parametrize(
    ("arguments", "environment", "said"),
    [
        ([], {}, "DATABASE_URL"),
        (["--by-hand"], {"DATABASE_URL": "sqlite:///unused.sqlite3"}, "PostgreSQL only"),
    ],
)
def test_what_it_cannot_do_it_says_before_measuring(arguments, environment, said):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("INTAKE_") and k != "DATABASE_URL"
    }
    done = subprocess.run(
        [sys.executable, "bench/application_post.py", "--posts", "1", "--rounds", "1", *arguments],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert said in done.stderr
    assert "round 1" not in done.stdout
