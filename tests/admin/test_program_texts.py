"""The program form takes each applicant-facing text in Spanish and Chinese, and how
the groups meet; empty means not translated."""

from intake.extensions import db
from tests.admin.test_programs import edit_data
from tests.factories import program
from tests.helpers import send_form


def test_admin_enters_texts_in_every_language(admin_client, ctx):
    p = program("introductory")
    url = f"/coord/admin/programs/{p.id}/edit"
    data = edit_data(
        "introductory",
        format_note="Groups meet online, weekly.",
        name_es="Práctica reflexiva introductoria",
        summary_es="",
        format_note_es="Los grupos se reúnen en línea, cada semana.",
        name_zh="入门反思性实践",
        shape_zh="六次线上会面。",
    )
    response = send_form(admin_client, url, data)
    assert response.status_code == 303
    db.session.refresh(p)
    assert p.format_note == "Groups meet online, weekly."
    assert p.translations == {
        "es": {
            "name": "Práctica reflexiva introductoria",
            "format_note": "Los grupos se reúnen en línea, cada semana.",
        },
        "zh": {"name": "入门反思性实践", "shape": "六次线上会面。"},
    }
    form = admin_client.get(url).get_data(as_text=True)
    assert "What applicants read, in Spanish" in form
    assert "What applicants read, in Chinese" in form
    assert 'value="Práctica reflexiva introductoria"' in form
    assert "六次线上会面。</textarea>" in form

    page = admin_client.get("/programs/introductory?lang=zh").get_data(as_text=True)
    assert "<h1>入门反思性实践</h1>" in page


def test_an_empty_format_note_means_each_cohort_says_it(admin_client, ctx):
    p = program("bipoc-intensive")
    url = f"/coord/admin/programs/{p.id}/edit"
    assert (
        send_form(admin_client, url, edit_data("bipoc-intensive", format_note="")).status_code
        == 303
    )
    db.session.refresh(p)
    assert p.format_note is None


def test_a_translation_too_long_is_refused_next_to_its_field(admin_client, ctx):
    p = program("introductory")
    url = f"/coord/admin/programs/{p.id}/edit"
    response = send_form(admin_client, url, edit_data("introductory", name_es="x" * 201))
    assert response.status_code == 422
    assert 'id="name_es-error"' in response.get_data(as_text=True)
