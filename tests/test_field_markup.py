"""render_field (intake/field_markup.py), the one way every form draws a field: what a
screen reader is told, what a person typed kept, and typed or stored text never
becoming markup. The pages' own tests check it in place; these check it alone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput
from wtforms.widgets.core import html_params as wtforms_html_params

from intake.field_markup import field_anchor, html_params, render_field
from intake.fields import CheckboxGroupField, ChoiceGroupField
from intake.forms import Form, _wtforms_catalogue

HOSTILE = '<script>alert("x")</script>'


class Sample(Form):
    class Meta:
        csrf = False

    name = StringField("Your name", description="As you like to be called")
    roles = CheckboxGroupField(
        "Your roles",
        choices=[("home-visitor", "Home visitor (including nurse home visitor)"), ("x", HOSTILE)],
    )
    delivery = ChoiceGroupField("How", choices=[("online", "Online"), ("in-person", "In person")])
    agree = BooleanField("I agree")

    def validate_name(self, field):
        raise ValidationError(f"Not {field.data}")


@pytest.fixture
def form(app):
    data = MultiDict([("name", HOSTILE), ("roles", "x"), ("delivery", "online")])
    with app.test_request_context("/?lang=es"):
        form = Sample(formdata=data)
        form.validate()
        yield form


def test_a_text_field_says_what_is_wrong_and_keeps_what_was_typed(form):
    html = render_field(form.name, autocomplete="name")
    assert '<div class="field  has-error">' in html
    assert '<label for="name">Your name</label>' in html
    assert '<p class="hint" id="name-hint">As you like to be called</p>' in html
    assert 'id="name-error"' in html
    assert 'aria-describedby="name-hint name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'autocomplete="name"' in html
    # What was typed is kept, as text, in the input and in the message.
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in html
    assert "Not &lt;script&gt;" in html
    assert "<script>" not in html


def test_an_id_is_escaped_once(app):
    with app.test_request_context("/"):
        form = Sample(formdata=MultiDict([("name", "x")]), prefix="a&b")
        form.validate()
        html = render_field(form.name)
    assert 'id="a&amp;b-name-hint"' in html
    assert 'aria-describedby="a&amp;b-name-hint a&amp;b-name-error"' in html


def test_errors_can_be_held_back_until_the_form_is_sent(form):
    html = render_field(form.name, show_errors=False, inputmode="numeric")
    assert "has-error" not in html
    assert "field-error" not in html
    assert "aria-invalid" not in html
    assert 'aria-describedby="name-hint"' in html
    assert 'inputmode="numeric"' in html


def test_choices_are_a_fieldset_with_the_answer_checked(form):
    checkboxes = render_field(form.roles, optional=True, class_="columns")
    assert checkboxes.startswith('<fieldset class="field field-group columns">')
    # The page's language (?lang=es): "(optional)" translated.
    assert '<legend>Your roles <span class="optional">(opcional)</span></legend>' in checkboxes
    assert '<input type="checkbox" id="roles-0" name="roles" value="home-visitor">' in checkboxes
    assert 'id="roles-1" name="roles" value="x" checked>' in checkboxes
    # A label is a msgid, translated when there is a translation, and always text.
    assert '<label for="roles-0">Visitador(a) domiciliario(a) (incluye' in checkboxes
    assert "&lt;script&gt;" in checkboxes
    assert "<script>" not in checkboxes

    radios = render_field(form.delivery, label="Choose one")
    assert "<legend>Choose one</legend>" in radios
    assert 'type="radio" id="delivery-0" name="delivery" value="online" checked>' in radios
    assert "aria-describedby" not in radios


def test_a_checkbox_has_its_label_after_it(form):
    html = render_field(form.agree)
    assert html.startswith('<div class="field field-checkbox">')
    assert html.index('<input id="agree"') < html.index('<label for="agree">I agree</label>')


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.one_of(
            st.from_regex(r"(data_|aria_)?[a-z][a-z_]{0,8}_?", fullmatch=True),
            st.text(min_size=1),  # names are escaped too
        ),
        st.one_of(
            st.booleans(),
            st.integers(),
            st.text(),
            st.text().map(Markup),  # already markup: its quotes escaped all the same
        ),
        max_size=6,
    )
)
def test_input_attributes_are_drawn_as_wtforms_draws_them(attributes):
    assert html_params(**attributes) == wtforms_html_params(**attributes)


def test_inputs_use_the_faster_attributes(app):
    assert TextInput.html_params is html_params


def test_wtforms_own_messages_are_in_the_page_language_read_once(app):
    _wtforms_catalogue.cache_clear()
    for _ in range(2):
        with app.test_request_context("/?lang=es"):
            form = Sample(formdata=MultiDict([("delivery", "by-post")]))
            form.validate()
            assert form.delivery.errors == ["Opción inválida."]
    with app.test_request_context("/?lang=zh"):
        form = Sample(formdata=MultiDict([("delivery", "by-post")]))
        form.validate()
        assert form.delivery.errors == ["不是有效的选择。"]
    # One read of each language's catalogue, not one a request.
    assert _wtforms_catalogue.cache_info().misses == 2


def test_an_error_links_to_the_first_input_the_field_draws(form):
    for field in (form.name, form.roles, form.delivery, form.agree):
        anchor = field_anchor(field)
        assert f'id="{anchor}"' in render_field(field), field.name
    assert field_anchor(form.roles) == "roles-0"
    assert field_anchor(form.name) == "name"
