"""The embedded store behind the Store interface: loading, queries, descriptions, on-disk use."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from imagraph import formats
from imagraph.core import Core
from imagraph.errors import QuerySyntaxError
from imagraph.settings import Settings
from imagraph.store import MAX_INCOMING, bind
from imagraph.store.oxigraph import OxigraphStore

BASE = "https://w3id.org/imanoeb/"
SCHEMA = "https://schema.org/"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def test_each_file_in_its_own_named_graph(core):
    graphs = core.store.graphs()
    assert BASE + "graph/ontology" in graphs
    assert BASE + "graph/shapes" in graphs
    assert {g.removeprefix(BASE + "graph/data/") for g in core.data_graph_iris()} == {
        "committee", "meetings", "organisations", "publishers", "sources", "topics",
    }  # fmt: skip


def test_query_runs_over_the_union_with_bound_variables(core):
    outcome = core.store.query(
        bind(
            "SELECT ?m ?name WHERE { VALUES ?m { $m } ?m schema:name ?name "
            "FILTER(LANG(?name) = 'en') }",
            m=_n(BASE + "meeting/2025-03-11-stakeholder"),
        )
    )
    assert outcome.kind == "select"
    assert [r["name"].value for r in outcome.rows()] == [
        "Kick-off with civil society, science and business, 11 March 2025"
    ]


def test_bound_terms_cannot_change_a_query():
    nasty = ox.Literal('x" } ; DROP ALL ; SELECT * { "')
    text = bind("SELECT ?v WHERE { VALUES ?v { $v } } # $other", v=nasty)
    assert text.endswith("# $other")  # unknown placeholders stay
    rows = list(OxigraphStore().query(text).rows())
    assert rows == [{"v": nasty}]


def test_from_in_the_query_names_the_default_graph(core):
    """FROM is the query's own dataset: it is not replaced by the union of all graphs."""
    graph = core.settings.graph_iri("data/meetings")
    q = "SELECT (COUNT(DISTINCT ?s) AS ?n) FROM <%s> WHERE { ?s a ?class }"
    in_meetings = int(next(core.store.query(q % graph).rows())["n"].value)
    everywhere = int(
        next(core.store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class }").rows())[
            "n"
        ].value
    )
    assert 0 < in_meetings < everywhere
    other = "SELECT ?s FROM <https://example.org/no-such-graph> WHERE { ?s ?p ?o }"
    assert list(core.store.query(other).rows()) == []


def test_query_syntax_error_is_reported():
    with pytest.raises(QuerySyntaxError, match="SPARQL syntax error"):
        OxigraphStore().query("SELECT WHERE {")


def test_results_serialise_in_every_results_format(core):
    q = "SELECT ?m WHERE { ?m a imo:Meeting }"
    assert core.store.query(q).serialize(formats.SPARQL_JSON).startswith(b'{"head":{"vars":["m"]}')
    assert core.store.query(q).serialize(formats.SPARQL_XML).startswith(b"<?xml")
    assert core.store.query(q).serialize(formats.SPARQL_CSV).splitlines()[0] == b"m"
    assert core.store.query(q).serialize(formats.SPARQL_TSV).splitlines()[0] == b"?m"
    assert core.store.query("ASK { ?m a imo:Meeting }").serialize(formats.SPARQL_JSON) == (
        b'{"head":{},"boolean":true}'
    )


def test_describe_own_triples_statements_labels_and_incoming(core):
    meeting = BASE + "meeting/2024-09-19-network"
    triples = {(t.subject, t.predicate, t.object) for t in core.store.describe(meeting)}
    m = _n(meeting)
    # own triples
    assert (m, _n(SCHEMA + "location"), _n(BASE + "place/bmi-berlin")) in triples
    # the statement about its start carries its own confidence
    reported = [
        s
        for s, p, o in triples
        if p == _n(BASE + "ontology#confidence") and o == _n(BASE + "ontology#reported")
    ]
    assert any(isinstance(s, ox.BlankNode) for s in reported)
    # labels of the resources it links to
    assert (
        _n(BASE + "place/bmi-berlin"),
        _n(SCHEMA + "name"),
        ox.Literal("Bundesministerium des Innern, Berlin", language="de"),
    ) in triples
    # incoming links, with labels of their subjects
    assert (_n(BASE + "agenda-item/2024-09-19-1"), _n(SCHEMA + "superEvent"), m) in triples
    assert any(
        s == _n(BASE + "agenda-item/2024-09-19-1") and p == _n(SCHEMA + "name")
        for s, p, _ in triples
    )
    # nothing unrelated
    assert not any(
        s == _n(BASE + "meeting/2025-03-11-stakeholder") and p == _n(SCHEMA + "startDate")
        for s, p, _ in triples
    )


def test_describe_bounds_incoming_links():
    store = OxigraphStore()
    target = _n("http://e/target")
    store.load(
        ox.Quad(_n(f"http://e/s{i}"), _n("http://e/p"), target) for i in range(MAX_INCOMING + 50)
    )
    assert len(store.describe("http://e/target")) == MAX_INCOMING


def test_a_description_is_small_with_few_triples_of_its_own_no_blank_node_and_few_statements():
    """What a server may describe without a thread: a resource with at most ``limit`` triples
    and ``limit`` statements about it, none of its values a blank node."""
    store = OxigraphStore()
    p, rdf_subject = _n("http://e/p"), _n("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject")
    store.load(ox.Quad(_n("http://e/big"), p, _n(f"http://e/o{i}")) for i in range(11))
    store.load(ox.Quad(_n("http://e/small"), p, _n(f"http://e/o{i}")) for i in range(10))
    store.load([ox.Quad(_n("http://e/blank"), p, ox.BlankNode())])
    store.load(
        ox.Quad(_n(f"http://e/st{i}"), rdf_subject, _n("http://e/talked")) for i in range(11)
    )
    store.load(ox.Quad(_n(f"http://e/sd{i}"), rdf_subject, _n("http://e/said")) for i in range(10))
    assert store.small_description("http://e/small", 10)
    assert store.small_description("http://e/nothing", 10)  # (a 404, at once)
    assert not store.small_description("http://e/big", 10)
    assert not store.small_description("http://e/blank", 10)
    assert not store.small_description("http://e/talked", 10)
    assert not store.small_description("not an iri", 10)
    assert store.small_description("http://e/said", 10)  # statements alone, as many as allowed
    # kept until a write, but not for an IRI the store says nothing about: the paths of unknown
    # resources a client makes up fill nothing
    assert ("http://e/small", 10) in store._small and ("http://e/said", 10) in store._small
    assert ("http://e/nothing", 10) not in store._small


def test_describe_unknown_resource_is_empty(core):
    assert core.store.describe(BASE + "meeting/1999-01-01-nothing") == []


def test_dump_union_has_no_duplicates(core):
    out = io.BytesIO()
    core.store.dump(out, formats.NTRIPLES)
    lines = [line for line in out.getvalue().splitlines() if line]
    assert len(lines) == len(set(lines))
    assert len(lines) == len(set(core.store.triples()))


def test_on_disk_store_survives_reopening(tmp_path, settings):
    disk = Settings(site=settings.site, store=str(tmp_path / "store"))
    first = Core.open(disk)
    expected = first.store.count()
    first.store.flush()
    del first
    again = Core.open(disk, load=False)
    assert again.store.count() == expected
    assert again.counts_by_class()[0][1] > 0


def test_reloading_replaces_instead_of_duplicating(settings):
    core = Core.open(settings)
    before = core.store.count()
    core.load_bundled()
    assert core.store.count() == before


def test_settings_from_the_environment(monkeypatch):
    from imagraph.errors import BadInputError

    monkeypatch.setenv("IMAGRAPH_QUERY_TIMEOUT", "2.5")
    monkeypatch.setenv("IMAGRAPH_QUERY_MAX_ROWS", "7")
    monkeypatch.setenv("IMAGRAPH_PUBLIC_URL", "https://data.example.org/")
    s = Settings.from_env()
    assert (s.query_timeout, s.query_max_rows, s.public_url) == (
        2.5,
        7,
        "https://data.example.org/",
    )
    monkeypatch.setenv("IMAGRAPH_QUERY_MAX_ROWS", "many")
    with pytest.raises(BadInputError, match="IMAGRAPH_QUERY_MAX_ROWS must be a whole number"):
        Settings.from_env()


TRICKY = [
    ox.Literal('tab\there, new\nline, "quoted", back\\slash, ü'),
    ox.Literal("Grüße", language="de"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.BlankNode("b0"),
    ox.NamedNode("https://example.org/o"),
]


def _tricky_store(n: int) -> OxigraphStore:
    store = OxigraphStore()
    g = ox.NamedNode("https://example.org/g")
    store.load(
        ox.Quad(_n(f"https://example.org/s{i}"), _n("https://example.org/p"), TRICKY[i % 5], g)
        for i in range(n)
    )
    return store


@pytest.mark.parametrize(
    ("n", "cap", "truncated"), [(5, 5, False), (6, 5, True), (0, 5, False), (40, 5, True)]
)
def test_capped_solutions_keep_every_term_exactly(n, cap, truncated):
    store = _tricky_store(n)
    q = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    expected = [(r["s"], r["o"]) for r in store.query(q).rows()][:cap]
    for fmt in ("json", "xml", "tsv"):
        results_format = formats.results_by_name(fmt)
        body, was_truncated, rows = store.query(q).capped(results_format, cap)
        assert (was_truncated, rows) == (truncated, min(n, cap))
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_extension(fmt))
        got = [(s["s"], s["o"]) for s in parsed]
        # blank nodes keep their identity within one answer, not their label
        assert [(s, o if not isinstance(o, ox.BlankNode) else "bnode") for s, o in got] == [
            (s, o if not isinstance(o, ox.BlankNode) else "bnode") for s, o in expected
        ]


@pytest.mark.parametrize(("n", "cap", "truncated"), [(5, 5, False), (6, 5, True), (12, 3, True)])
def test_capped_triples(n, cap, truncated):
    store = _tricky_store(n)
    q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    body, was_truncated, count = store.query(q).capped(formats.TURTLE, cap)
    assert (was_truncated, count) == (truncated, min(n, cap))
    triples = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    assert len(triples) == min(n, cap)
    literals = {t.object for t in triples if isinstance(t.object, ox.Literal)}
    assert literals and literals <= set(TRICKY)  # the tab, newline and quotes came through
