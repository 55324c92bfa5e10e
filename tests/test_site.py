"""A site's settings file: each wrong value is an error naming the file and the key, and
``imagraph init`` refuses what it cannot make a site of."""

from __future__ import annotations

import pytest

from imagraph.cli import cli
from imagraph.errors import BadInputError
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app


@pytest.fixture
def site(tmp_path, runner):
    folder = tmp_path / "site"
    assert runner.invoke(cli, ["init", str(folder)]).exit_code == 0
    return folder


def with_extension(site, name: str, source: str) -> None:
    """Make ``source`` the site's extension ``name``: its module beside site.toml, named in it."""
    (site / f"{name}.py").write_text(source, encoding="utf-8")
    path = site / "site.toml"
    path.write_text(f'extensions = ["{name}"]\n' + path.read_text(), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('languages = ["en"]', 'languages = ["en-GB!"]', "languages must be"),
        ('languages = ["en"]', "languages = []", "languages must be"),
        ('name = "council"', 'name = "my council"', "name must be"),
        ('show = "groups"', 'show = "pie"', "landing #2.show must be one of list, groups, tree"),
        ('events = ["ex:Meeting"]', 'events = ["zz:Meeting"]', "vocabulary.events must be"),
        ('[title]\nen = "Council of Exampletown"', "[title]\nen = 3", "title must be"),
    ],
)
def test_a_wrong_value_names_the_file_and_the_key(site, old, new, words):
    path = site / "site.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(BadInputError, match="site.toml: " + words.split(" must")[0]) as err:
        Settings(site=site)
    assert words in str(err.value)


def test_a_landing_section_needs_its_stored_query(site):
    (site / "queries" / "landing-members.toml").unlink()
    with pytest.raises(BadInputError, match=r"landing #2 names the stored query 'landing-members'"):
        create_app(Instance.open(Settings(site=site)))


def test_a_folder_without_site_toml_says_how_to_make_one(tmp_path, runner):
    result = runner.invoke(cli, ["--site", str(tmp_path), "check"])
    assert result.exit_code == 2 and "imagraph init DIR" in result.output


def test_init_refuses_a_base_that_is_no_http_iri(tmp_path, runner):
    result = runner.invoke(cli, ["init", str(tmp_path / "s"), "--base-iri", "ftp://x/"])
    assert result.exit_code == 2 and "must be an http(s) IRI" in result.output
    assert not (tmp_path / "s").exists()


def test_a_site_gives_the_pages_words_in_another_language(site):
    path = site / "site.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('languages = ["en"]', 'languages = ["fr"]')
    text = text.replace('[title]\nen = "Council of Exampletown"', '[title]\nfr = "Conseil"')
    text += '\n[words.fr]\nhome = "Accueil"\n'
    path.write_text(text, encoding="utf-8")
    for query in (site / "queries").glob("*.toml"):
        q = query.read_text(encoding="utf-8").replace("\nen = ", "\nfr = ")
        query.write_text(q, encoding="utf-8")
    catalog = site / "catalog" / "datasets.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(".en", ".fr"), encoding="utf-8")
    html = (
        create_app(Instance.open(Settings(site=site))).test_client().get("/").get_data(as_text=True)
    )
    assert '<html lang="fr">' in html and ">Accueil<" in html and "Conseil" in html
    assert 'id="search-button">Search</button>' in html  # words it has none for: English


EXTENSION = """
from flask import Blueprint, jsonify

from imagraph.changes import Listener


class Remember(Listener):
    def __init__(self):
        self.seen = []

    def committed(self, change):
        self.seen.append(change.iri)


def attach(instance):
    instance.writes.listeners.append(Remember())


def attach_app(app, instance):
    remember = next(x for x in instance.writes.listeners if isinstance(x, Remember))
    bp = Blueprint("history", __name__)
    bp.add_url_rule("/history", "history", lambda: jsonify(remember.seen))
    bp.add_url_rule("/", "home", lambda: "the council's own home page")
    app.register_blueprint(bp)
"""


def test_an_extension_attaches_a_listener_adds_a_view_and_overrides_one(site):
    """A module the site names in site.toml, beside it, attaches to the instance and its app
    without a line of imagraph edited: a change listener, a new page, and its own home page in
    place of imagraph's; imagraph's other routes are as they were."""
    with_extension(site, "council_history", EXTENSION)
    instance = Instance.open(Settings(site=site))
    assert type(instance.writes.listeners[-1]).__name__ == "Remember"
    client = create_app(instance).test_client()
    assert client.get("/history").get_json() == []
    home = client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200 and home.get_data(as_text=True) == "the council's own home page"
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


HOOKED = """
def attach_app(app, instance):
    app.jinja_env.globals["council_class"] = "council"

    app.config["council_hooked"] = 0

    @app.before_request
    def count():
        app.config["council_hooked"] += 1
"""


def test_an_extensions_globals_reach_link_html_and_its_hooks_keep_resources_off_the_loop(site):
    """An extension's template global is seen by the site's link.html (made once, after the
    extensions attach); and an app with an extension's request hooks (which may wait on
    anything) has the server's loop answer nothing itself (see web.worker), and every request
    runs them."""
    from imagraph.web import QUICK

    with_extension(site, "council_hooks", HOOKED)
    (site / "templates").mkdir()
    (site / "templates" / "link.html").write_text(
        "{% macro link(href, text, title=none) -%}"
        '<a class="{{ council_class }}" href="{{ href or "#" }}">{{ text }}</a>'
        "{%- endmacro %}\n",
        encoding="utf-8",
    )
    app = create_app(Instance.open(Settings(site=site)))
    assert app.extensions[QUICK] is None
    # nor does any answer go around the hook (imagraph.web.direct)
    turtle = app.test_client().get("/meeting/2026-01-15", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and app.config["council_hooked"] == 1
    html = app.test_client().get("/meeting/2026-01-15", headers={"Accept": "text/html"})
    assert '<a class="council" href=' in html.get_data(as_text=True)


EVERY_REQUEST = {
    "a middleware": """
def attach_app(app, instance):
    app.config["council_ran"] = 0
    inner = app.wsgi_app

    def counted(environ, start_response):
        app.config["council_ran"] += 1
        return inner(environ, start_response)

    app.wsgi_app = counted
""",
    "a signal's receiver": """
from flask import request_started

def attach_app(app, instance):
    app.config["council_ran"] = 0

    def counted(sender, **extra):
        app.config["council_ran"] += 1

    request_started.connect(counted, app, weak=False)
""",
    "a teardown of the app context": """
def attach_app(app, instance):
    app.config["council_ran"] = 0

    @app.teardown_appcontext
    def counted(error):
        app.config["council_ran"] += 1
""",
    "Flask's check of the Host": """
def attach_app(app, instance):
    app.config["council_ran"] = 1  # (Flask refuses what it does not trust: below)
    app.config["TRUSTED_HOSTS"] = ["council.example"]
""",
}


@pytest.mark.parametrize("kind", list(EVERY_REQUEST))
def test_what_an_extension_runs_for_every_request_runs_for_a_resources_rdf(site, kind):
    """An extension's middleware, signal receiver, teardown or Flask's Host check runs for
    every request: a resource's RDF is not answered around it (imagraph.web.direct), nor in
    the worker's loop."""
    from imagraph.web import QUICK

    with_extension(site, "council_every", EVERY_REQUEST[kind])
    app = create_app(Instance.open(Settings(site=site)))
    assert app.extensions[QUICK] is None
    client = app.test_client()
    turtle = client.get("/meeting/2026-01-15", headers={"Accept": "text/turtle"})
    assert app.config["council_ran"] == 1
    if app.config.get("TRUSTED_HOSTS"):
        assert turtle.status_code == 400  # localhost is not trusted
        trusted = {"Accept": "text/turtle", "Host": "council.example"}
        assert client.get("/meeting/2026-01-15", headers=trusted).status_code == 200
    else:
        assert turtle.status_code == 200


SESSIONS = """
def attach_app(app, instance):
    app.secret_key = "council-secret"
"""


def test_an_extensions_sessions_are_kept_on_every_answer(site):
    """An extension that keeps sessions (a secret key): a signed-in reader's permanent session
    has its cookie renewed by a resource's RDF and page, as Flask renews it after every
    request (imagraph.web.direct answers neither around it)."""
    from imagraph.web import QUICK

    with_extension(site, "council_sessions", SESSIONS)
    app = create_app(Instance.open(Settings(site=site)))
    assert app.extensions[QUICK] is None
    signed = app.session_interface.get_signing_serializer(app)
    cookie = "session=" + signed.dumps({"_permanent": True, "reader": "council"})
    client = app.test_client(use_cookies=False)
    for accept in ("text/turtle", "text/html"):
        answer = client.get("/meeting/2026-01-15", headers={"Accept": accept, "Cookie": cookie})
        assert answer.status_code == 200
        renewed = answer.headers.get("Set-Cookie", "")
        assert renewed.startswith("session=") and "Expires=" in renewed, (accept, renewed)


@pytest.mark.parametrize(
    ("names", "words"),
    [('["no such"]', "is not a Python module name"), ('["no_such_module"]', "cannot be imported")],
)
def test_a_wrong_extension_names_the_file_and_the_key(site, names, words):
    path = site / "site.toml"
    path.write_text(f"extensions = {names}\n" + path.read_text(), encoding="utf-8")
    with pytest.raises(BadInputError, match=r"site\.toml: extensions") as err:
        Instance.open(Settings(site=site))
    assert words in str(err.value)


def test_a_sites_module_never_takes_the_place_of_another(site):
    """A site's json.py is its own module: the standard library's json stays what it was."""
    import json

    with_extension(site, "json", "def attach(instance):\n    pass\n")
    instance = Instance.open(Settings(site=site))
    import sys

    assert sys.modules["json"] is json and json.dumps([1]) == "[1]"
    assert instance.extensions[0] is not json
    resp = create_app(instance).test_client().get("/no-such-thing", headers={"Accept": "*/*"})
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("def attach(instance:\n", "cannot be imported: SyntaxError"),
        ("raise RuntimeError('no')\n", "cannot be imported: RuntimeError: no"),
        ("def attach(instance):\n    raise RuntimeError('no')\n", "failed in attach(): Runtime"),
    ],
)
def test_an_extension_that_fails_is_an_error_naming_it(site, runner, code, words):
    with_extension(site, "broken", code)
    with pytest.raises(BadInputError, match="broken") as err:
        Instance.open(Settings(site=site))
    assert words in str(err.value)
    # imagraph check says so too, not only a server's workers as they start
    result = runner.invoke(cli, ["--site", str(site), "check"])
    assert result.exit_code == 2 and words in result.output


def test_a_server_with_a_failing_extension_says_so_before_its_workers_start(site):
    """`imagraph serve` makes the site's instance once before it forks: a failing extension
    is one message and exit 2, not every worker failing to boot with a traceback."""
    import subprocess
    import sys

    from .conftest import free_port

    with_extension(site, "broken", "raise RuntimeError('no')\n")
    result = subprocess.run(
        [sys.executable, "-m", "imagraph.cli", "--site", str(site), "serve", "--port",
         str(free_port())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "the extension 'broken' cannot be imported: RuntimeError: no" in result.stderr
    assert "Traceback" not in result.stderr
