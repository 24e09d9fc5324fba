"""bench/public_pages.py measures each page beside the bare DB page that `make bench`
serves (bench/baselines.py), not a slower one of its own. Nothing here is timed."""

import pytest

from bench import baselines, public_pages
from intake.programs.defaults import DEFAULT_PROGRAMS

# SQLite of its own, whatever TEST_DATABASE_URL says.
pytestmark = pytest.mark.own_database


def test_the_bare_page_in_process_is_the_benchmarks_and_compiles_its_template_once(
    tmp_path, monkeypatch
):
    uri = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    public_pages.intake_app(uri)  # the app's tables and the default programs
    bare = public_pages.bare_app(uri)
    with bare.app_context():
        engine = bare.extensions["sqlalchemy"].engine
    compiled = []
    compile_template = bare.jinja_env.compile

    def counting(*args, **kwargs):
        compiled.append(args[0])
        return compile_template(*args, **kwargs)

    monkeypatch.setattr(bare.jinja_env, "compile", counting)
    client = bare.test_client()

    pages = [client.get(public_pages.BARE_URL) for _ in range(3)]

    assert [page.status_code for page in pages] == [200, 200, 200]
    first = DEFAULT_PROGRAMS[0]["name"]  # the first program by id
    assert f"<h1>{first}</h1>" in pages[0].text
    # A template made from a string on every request (as this page once was) would
    # be compiled three times and make every ratio look better than `make bench`'s.
    assert len(compiled) == 1
    engine.dispose()


@pytest.fixture
def no_app_made_yet():
    made = vars(baselines).pop("app", None)
    yield
    vars(baselines).pop("app", None)  # made here, on a folder that is gone after the test
    if made is not None:
        baselines.app = made


def test_gunicorn_gets_the_baselines_app_from_database_url(tmp_path, monkeypatch, no_app_made_yet):
    from gunicorn.util import import_app

    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="set it"):
        import_app("bench.baselines:app")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bench.sqlite3'}")

    app = import_app("bench.baselines:app")  # as `gunicorn bench.baselines:app` finds it

    assert app.url_map.bind("localhost").match("/db") == ("bare_db_page", {})
    assert baselines.app is app  # made once
    with pytest.raises(AttributeError, match="nowhere"):
        _ = baselines.nowhere
