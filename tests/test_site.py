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
