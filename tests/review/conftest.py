"""Applications in review, each sent by its own applicant's browser."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant, Application
from tests.helpers import submit_agency_application, submit_application
from tests.review.support import REVIEW_SCREENER


@pytest.fixture
def apply_for_review(app, ctx):
    """Submit an application the rules send to review; return it from the test's
    own session. Each applicant gets a new e-mail address unless one is given."""

    def apply(name="Rosa Example", email=None, lang=None, agency=False, **details):
        client = app.test_client()
        if lang:
            client.get(f"/?lang={lang}")
        email = email or f"{name.split()[0].lower()}@example.org"
        if agency:
            response = submit_agency_application(
                client, service_zips="98402", leader_name=name, email=email, **details
            )
        else:
            response = submit_application(
                client,
                screener=REVIEW_SCREENER,
                programs=["bipoc-intensive"],
                name=name,
                email=email,
                **details,
            )
        assert response.status_code == 303, response.get_data(as_text=True)
        db.session.rollback()
        application = db.session.scalars(
            select(Application)
            .join(Applicant)
            .where(Applicant.email == email)
            .order_by(Application.id.desc())
        ).first()
        assert application.status == "needs_review"
        return application

    return apply
