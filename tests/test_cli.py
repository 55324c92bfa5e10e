"""The ``imagraph`` command, run in-process with click's CliRunner; outputs parsed back."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from imagraph.cli import cli

from .conftest import ROOT, TESTS

MINIMAL = TESTS / "data" / "minimal.ttl"
BROKEN_MEETING = """\
@prefix imo: <https://w3id.org/imanoeb/ontology#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/m> a imo:Meeting, imo:NetworkMeeting, schema:Event ;
    schema:name "Treffen"@de ;
    schema:startDate "2024-09-01"^^xsd:date ;
    imo:datePrecision imo:monthPrecision .
"""


def test_check_conforms_and_prints_figures(runner):
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "Conforms: no violations." in result.output
    assert "https://w3id.org/imanoeb/graph/data/meetings" in result.output
    assert "imo:Meeting" in result.output and "imo:FederalMinistry" in result.output
    assert "confirmed" in result.output and "inferred" in result.output


def test_check_in_german(runner):
    result = runner.invoke(cli, ["check", "--lang", "de"])
    assert result.exit_code == 0
    assert "Konform: keine Verstöße." in result.output


def test_validate_conformant_file(runner):
    result = runner.invoke(cli, ["validate", str(MINIMAL)])
    assert result.exit_code == 0, result.output
    assert result.output == "Conforms: no violations.\n"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "A meeting needs exactly one English name (schema:name with @en)."),
        ("de", "Ein Treffen braucht genau einen englischen Namen (schema:name mit @en)."),
    ],
)
def test_validate_nonconformant_file_groups_by_focus_node(runner, tmp_path, lang, message):
    path = tmp_path / "meeting.ttl"
    path.write_text(BROKEN_MEETING, encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(path), "--lang", lang])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(("Does not conform", "Nicht konform"))
    # the focus node heads its group, followed by path, value and message lines
    line = "Zeile" if lang == "de" else "line"
    focus = lines.index(f"https://example.org/m  (Treffen)  [{line} 4]")
    group = lines[focus + 1 :]
    assert "  [Violation] schema:name" in group
    assert f"    {message}" in group
    assert any("MeetingDateMatchesPrecision" in line for line in group)


def test_validate_json_summary(runner, tmp_path):
    path = tmp_path / "meeting.ttl"
    path.write_text(BROKEN_MEETING, encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["conforms"] is False
    [node] = summary["focusNodes"]
    assert node["focusNode"] == "https://example.org/m"
    paths = {r["path"] for r in node["results"]}
    assert {"schema:name", "schema:organizer", "dct:source", "imo:confidence"} <= paths


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_validate_standard_report(runner, tmp_path, fmt):
    path = tmp_path / "meeting.ttl"
    path.write_text(BROKEN_MEETING, encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(path), "--format", fmt])
    assert result.exit_code == 1
    report = Graph().parse(data=result.output, format=fmt)
    [node] = list(report.subjects(SH.conforms, Literal(False)))
    assert len(list(report.objects(node, SH.result))) >= 4


def test_validate_other_syntaxes_and_gzip(runner, tmp_path):
    graph = Graph().parse(MINIMAL)
    for name, fmt in [("m.nt", "nt"), ("m.jsonld", "json-ld"), ("m.rdf", "xml")]:
        (tmp_path / name).write_text(graph.serialize(format=fmt), encoding="utf-8")
    (tmp_path / "m.ttl.gz").write_bytes(gzip.compress(MINIMAL.read_bytes()))
    for name in ("m.nt", "m.jsonld", "m.rdf", "m.ttl.gz"):
        result = runner.invoke(cli, ["validate", str(tmp_path / name)])
        assert (name, result.exit_code) == (name, 0), result.output


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.ttl", "@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b \"x\n", "broken.ttl, line 3, column 11:"),
        ("broken.jsonld", '{"@id": "http://e/a", ', "broken.jsonld"),
        ("broken.rdf", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>", "broken.rdf, line 1, column 66: XML is not well-formed: no element found"),
        ("data.csv", "a,b\n", "cannot tell the RDF format"),
        ("packed.ttl.gz", "not gzip", "packed.ttl.gz: not a valid gzip file"),
    ],
)  # fmt: skip
def test_validate_bad_input_exits_2_with_where_and_what(runner, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    assert expected in result.output


def test_validate_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(cli, ["validate", str(tmp_path / "nope.ttl")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_validate_remote_context_is_not_fetched(runner, tmp_path):
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://e/a"}')
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "remote contexts" in result.output


def test_validate_with_other_shapes(runner, tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/t/person> ;\n"
        '  sh:property [ sh:path <https://example.org/missing> ; sh:minCount 1 ; sh:message "needs it"@en ] .\n'
    )
    result = runner.invoke(cli, ["validate", str(MINIMAL), "--shapes", str(shapes)])
    assert result.exit_code == 1
    assert "needs it" in result.output


def test_query_table_csv_and_json(runner):
    q = "SELECT ?m WHERE { ?m a imo:Meeting } ORDER BY ?m"
    table = runner.invoke(cli, ["query", q])
    assert table.exit_code == 0, table.output
    assert "(5 rows)" in table.output
    csv = runner.invoke(cli, ["query", q, "--format", "csv"])
    assert csv.output.splitlines()[0] == "m"
    assert len(csv.output.splitlines()) == 6
    data = json.loads(runner.invoke(cli, ["query", q, "--format", "json"]).output)
    assert len(data["results"]["bindings"]) == 5


def test_query_table_shows_a_triple_term_as_written(runner):
    """An RDF 1.2 triple term in a SELECT's table is written as such (it was a traceback)."""
    q = "SELECT ?t WHERE { BIND(<<( <urn:x:a> <urn:x:b> <urn:x:c> )>> AS ?t) }"
    result = runner.invoke(cli, ["query", q])
    assert result.exit_code == 0, result.output
    assert "<<( <urn:x:a> <urn:x:b> <urn:x:c> )>>" in result.output


def test_query_ask_and_construct(runner):
    ask = runner.invoke(cli, ["query", "ASK { ?m a imo:Meeting }"])
    assert ask.output.strip() == "true"
    construct = runner.invoke(
        cli,
        [
            "query",
            "CONSTRUCT { ?m a imo:Meeting } WHERE { ?m a imo:Meeting }",
            "--format",
            "ntriples",
        ],
    )
    assert len(Graph().parse(data=construct.output, format="nt")) == 5


def test_query_from_file(runner, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a imo:Topic }")
    result = runner.invoke(cli, ["query", "--file", str(path), "--format", "csv"])
    assert result.output.splitlines()[1] == "23"


def test_query_syntax_error_exits_2(runner):
    result = runner.invoke(cli, ["query", "SELECT ?x WHERE { ?x"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: SPARQL syntax error")


def test_query_unknown_format_exits_2(runner):
    result = runner.invoke(
        cli, ["query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--format", "yaml"]
    )
    assert result.exit_code == 2
    assert "unknown results format" in result.output


def _dump(runner, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"dump.{fmt}"
    result = runner.invoke(cli, ["dump", "--format", fmt, "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def test_dump_formats_agree(runner, tmp_path):
    graphs = {
        fmt: Graph().parse(_dump(runner, tmp_path, ours), format=fmt)
        for ours, fmt in [("turtle", "turtle"), ("ntriples", "nt"), ("json-ld", "json-ld"), ("rdf-xml", "xml")]
    }  # fmt: skip
    reference = graphs.pop("nt")
    assert len(reference) > 4000
    for fmt, g in graphs.items():
        assert isomorphic(g, reference), fmt


@pytest.mark.parametrize(("ours", "fmt"), [("trig", "trig"), ("nquads", "nquads")])
def test_dump_datasets_keep_the_named_graphs(runner, tmp_path, ours, fmt):
    ds = Dataset()
    ds.parse(_dump(runner, tmp_path, ours), format=fmt)
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert "https://w3id.org/imanoeb/graph/data/meetings" in names
    assert "https://w3id.org/imanoeb/graph/shapes" in names


def test_dump_one_graph(runner, tmp_path):
    g = Graph().parse(_dump(runner, tmp_path, "turtle", "--graph", "data/topics"), format="turtle")
    assert (URIRef("https://w3id.org/imanoeb/topics"), None, None) in g
    assert not list(g.triples((None, None, URIRef("https://schema.org/Event"))))


def test_dump_unknown_graph_exits_2(runner):
    result = runner.invoke(cli, ["dump", "--graph", "data/nothing"])
    assert result.exit_code == 2
    assert "no graph" in result.output


def test_base_iri_remints_the_data_but_not_the_vocabulary(runner):
    result = runner.invoke(
        cli,
        ["--base-iri", "http://localhost:8080/", "query", "SELECT ?m WHERE { ?m a imo:Meeting }", "--format", "csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()[1:]
    assert len(rows) == 5 and all(r.startswith("http://localhost:8080/meeting/") for r in rows)


def test_bad_base_iri_exits_2(runner):
    result = runner.invoke(cli, ["--base-iri", "ftp://x", "check"])
    assert result.exit_code == 2
    assert "must be an http(s) IRI" in result.output


def test_generate_is_deterministic(runner, tmp_path):
    a, b = tmp_path / "a.nt", tmp_path / "b.nt.gz"
    assert runner.invoke(cli, ["generate", "--scale", "5000", "-o", str(a)]).exit_code == 0
    assert runner.invoke(cli, ["generate", "--scale", "5000", "-o", str(b)]).exit_code == 0
    assert a.read_bytes() == gzip.decompress(b.read_bytes())
    assert len(Graph().parse(a, format="nt")) >= 5000


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"`imagraph {name}" in readme, name


def test_query_shares_the_endpoints_safety_checks(runner, monkeypatch):
    refused = runner.invoke(
        cli, ["query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"]
    )
    assert refused.exit_code == 2 and "SERVICE <http://127.0.0.1:9/> refused" in refused.output
    monkeypatch.setenv("IMAGRAPH_QUERY_TIMEOUT", "1")
    slow = runner.invoke(
        cli, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"]
    )
    assert slow.exit_code == 3 and "time limit of 1 s" in slow.output  # try again: 3
    monkeypatch.setenv("IMAGRAPH_QUERY_MAX_ROWS", "2")
    capped = runner.invoke(
        cli, ["query", "SELECT ?m WHERE { ?m a imo:Meeting }", "--format", "csv"]
    )
    assert (
        capped.output.splitlines()[:3]
        == [
            "m",
            "https://w3id.org/imanoeb/meeting/2025-10-14-network",
            "https://w3id.org/imanoeb/meeting/2025-03-11-stakeholder",
        ]
        or len(capped.output.splitlines()) >= 3
    )
    assert "(stopped at 2 rows" in capped.output


def test_validate_with_the_published_data_by_default_or_alone(runner):
    meeting = str(TESTS / "data" / "new-meeting.ttl")
    together = runner.invoke(cli, ["validate", meeting])
    assert together.exit_code == 0, together.output
    assert together.output == "Conforms: no violations.\n"
    alone = runner.invoke(cli, ["validate", "--alone", meeting])
    assert alone.exit_code == 1
    assert "dct:source" in alone.output


def test_validate_an_impossible_date_prints_a_hint_and_no_traceback(tmp_path):
    """Run as a user would (a separate process), so that anything printed to stderr is seen."""
    import subprocess
    import sys

    body = (TESTS / "data" / "new-meeting.ttl").read_text(encoding="utf-8")
    path = tmp_path / "feb30.ttl"
    path.write_text(body.replace('"2026-03-12"^^xsd:date', '"2026-02-30"^^xsd:date'), "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "imagraph.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    assert "→ “2026-02-30” is not a valid xsd:date" in run.stdout
    assert run.stdout.startswith("Does not conform: 1 violations on 1 resources.")


def test_serve_on_a_busy_port_says_so_and_how_to_choose_another():
    import socket
    import subprocess
    import sys

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "imagraph.cli", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 2
    assert run.stderr == (
        f"Error: port {port} on 127.0.0.1 is in use (another server?): choose another with "
        "--port N (make run PORT=N)\n"
    )
    assert "Serving" not in run.stdout


def test_make_run_takes_a_port():
    import subprocess

    run = subprocess.run(
        ["make", "-n", "run", "PORT=9123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert ".venv/bin/imagraph serve --host 127.0.0.1 --port 9123" in run.stdout.splitlines()


def test_validate_names_file_and_line_of_each_resource(runner, tmp_path):
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text(
        "@prefix imo: <https://w3id.org/imanoeb/ontology#> .\n\n<https://example.org/a> a imo:Meeting .\n",
        encoding="utf-8",
    )
    second.write_text(
        "@prefix ex: <https://example.org/> .\n@prefix imo: <https://w3id.org/imanoeb/ontology#> .\nex:b a imo:Meeting .\n",
        encoding="utf-8",
    )
    alone = runner.invoke(cli, ["validate", str(first)])
    assert "https://example.org/a  [line 3]" in alone.output
    both = runner.invoke(cli, ["validate", str(first), str(second)])
    assert f"https://example.org/a  [{first}, line 3]" in both.output
    assert f"https://example.org/b  [{second}, line 3]" in both.output


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, int]:
    """A generated submission of 1.4 MB (10,106 triples): large enough to be reported on."""
    from imagraph.generate import write_ntriples

    path = tmp_path_factory.mktemp("generated") / "g.nt"
    return path, write_ntriples(path, scale=10_000)


def test_validate_time_limit_names_the_limit_and_how_to_raise_it(runner, generated, monkeypatch):
    """Issue 22, item 10: the message gave what was left of the limit ('1 s' after 68 s of a
    60 s limit), with no way to raise it; --timeout raises it, IMAGRAPH_VALIDATE_TIMEOUT too."""
    path, _ = generated
    tiny = runner.invoke(cli, ["validate", "--timeout", "0.05", str(path)])
    assert tiny.exit_code == 3  # stopped at a limit: try again, or raise it
    assert "the validation was stopped after its time limit of 0.05 s" in tiny.stderr
    assert "raise the limit with --timeout SECONDS" in tiny.stderr
    monkeypatch.setenv("IMAGRAPH_VALIDATE_TIMEOUT", "0.05")
    short = runner.invoke(cli, ["validate", "--alone", str(path)])
    assert short.exit_code == 3 and "time limit of 0.05 s" in short.stderr
    raised = runner.invoke(cli, ["validate", "--alone", "--timeout", "600", str(path)])
    assert raised.exit_code == 0, raised.output
    assert raised.stdout == "Conforms: no violations.\n"


def test_validate_reports_progress_on_stderr(runner, generated):
    """Issue 22, item 10: a long validation said nothing until it ended. Each step is told on
    stderr with its counts; stdout holds the report only; a small file says nothing."""
    path, triples = generated
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Conforms: no violations.\n"
    lines = [line.removeprefix("imagraph validate: ") for line in result.stderr.splitlines()]
    assert lines[0] == f"parsing {path} ({path.stat().st_size:,} bytes)"
    assert lines[1].startswith(f"parsed {triples:,} triples (")
    assert lines[2] == "gathering what the submission can affect in the published data"
    assert re.fullmatch(
        r"gathered [\d,]+ resources to validate and [\d,]+ triples around.*", lines[3]
    )
    assert lines[4] == f"validating {triples:,} triples against the shapes"
    assert lines[5].startswith("validated: conforms (")
    alone = runner.invoke(cli, ["validate", "--alone", str(path)])
    assert [line.split(" (")[0] for line in alone.stderr.splitlines()] == [
        f"imagraph validate: parsing {path}",
        f"imagraph validate: parsed {triples:,} triples",
        f"imagraph validate: validating {triples:,} triples against the shapes",
        "imagraph validate: validated: conforms",
    ]
    small = runner.invoke(cli, ["validate", str(MINIMAL)])
    assert small.exit_code == 0 and small.stderr == ""


def _children() -> set[int]:
    """The processes this one has forked and not yet reaped."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")
def test_validate_runs_at_the_priority_of_the_command(runner, generated):
    """Issue 22, item 10: the command's validation ran in a child at the lowest CPU priority
    (SCHED_IDLE, meant to keep a server's pages quick), so on a busy machine it got almost no
    CPU: 141-299 s for what took 32 s. Its children now run at the command's priority."""
    path, _ = generated
    before = _children()
    done = threading.Event()
    seen: dict[int, set[int]] = {}
    worker = threading.Thread(
        target=lambda: (runner.invoke(cli, ["validate", str(path)]), done.set())
    )
    worker.start()
    while not done.is_set():
        for pid in _children() - before:
            with contextlib.suppress(OSError):  # it may have ended meanwhile
                seen.setdefault(pid, set()).add(os.sched_getscheduler(pid))
        time.sleep(0.02)
    worker.join()
    assert len(seen) >= 2, seen  # the parsing child and the validating child
    assert all(policies == {os.SCHED_OTHER} for policies in seen.values()), seen
