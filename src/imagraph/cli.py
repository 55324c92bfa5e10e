"""The ``imagraph`` command. Each command calls the core; its errors become exit codes in one
place, :class:`Imagraph` (see :data:`EXIT_CODES`).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import IO, Any

import click
import pyoxigraph as ox

from . import formats, loading, stamps, submissions
from . import sparql as query_engine
from .core import Core, now
from .errors import (
    BadInputError,
    ImagraphError,
    NotFoundError,
    UnsupportedFormatError,
    ValidationTimeoutError,
)
from .instance import Instance
from .namespaces import compact
from .settings import Settings
from .store import backend_for
from .validation import report_text

#: What ``imagraph query`` writes a SELECT or ASK result as: a table for people, or a results
#: format.
RESULT_FORMATS = ("table", *(f.name for f in formats.results()))


def _names(*kinds: str) -> str:
    """The names of the RDF formats of ``kinds`` (all by default), for the help."""
    return ", ".join(f.name for f in formats.rdf(*kinds))


#: What the exit codes mean (each error class of :mod:`imagraph.errors` says its own).
EXIT_CODES = """\b
Exit codes:
  0  success
  1  does not conform (check, validate; stamp --check: not stamped)
  2  bad input, usage or settings: a file or query that does not parse, a missing
     file or graph, an unknown format, a wrong option or setting
  3  stopped or unavailable: a time or memory limit, a store that cannot be reached
     (try again, or raise the limit)
  4  the store failed: it refused a request or answered something unreadable"""


class CliError(click.ClickException):
    """An :class:`ImagraphError` shown as ``Error: …`` with its class's exit code, never a
    traceback."""

    def __init__(self, err: ImagraphError) -> None:
        super().__init__(str(err))
        self.exit_code = err.exit_code  # type: ignore[misc]  # (click reads the instance's)


class Imagraph(click.Group):
    """The command group; the one place where imagraph's errors become exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ImagraphError as err:
            raise CliError(err) from err


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings) or Settings.from_env()


def _core(ctx: click.Context) -> Core:
    return Core.open(_settings(ctx))


@click.group(
    cls=Imagraph, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES
)
@click.option(
    "--site",
    type=click.Path(path_type=Path, file_okay=False),
    help="The site folder: site.toml beside ontology/, shapes/, data/, queries/ and catalog/ "
    "(or IMAGRAPH_SITE; default: the one above imagraph's package, else the working folder). "
    "imagraph init writes a new one.",
)
@click.option(
    "--base-iri", help="Base IRI the data is served under (default: the site's base_iri)."
)
@click.option(
    "--store",
    help="'memory' (default), the folder of an on-disk store, or the query URL of a remote "
    "SPARQL 1.1 store (its other settings: IMAGRAPH_STORE_* variables).",
)
@click.version_option(package_name="imagraph")
@click.pass_context
def cli(ctx: click.Context, site: Path | None, base_iri: str | None, store: str | None) -> None:
    """imagraph publishes a site's knowledge graph as linked data: serve, check, validate, query
    and dump it."""
    if ctx.invoked_subcommand == "init":  # it makes a site: there is none to read yet
        return
    ctx.obj = Settings.from_env(site=site, base_iri=base_iri, store=store)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--base-iri", help="The persistent base IRI its data is minted under.")
def init(folder: Path, base_iri: str | None) -> None:
    """Write a new site into FOLDER (new, or empty): an example that serves and conforms as it
    is, to edit into your own."""
    from . import site

    written = site.init(folder, base_iri)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(
        f"""
A new site in {folder}. Next:
  imagraph --site {folder} check    validate its data against its shapes
  imagraph --site {folder} serve    serve it on http://127.0.0.1:8080/
Then make it yours: site.toml (name, base IRI, languages, title, publisher, licence, landing
page), ontology/ (your terms), shapes/ (what the data must look like), data/ (your facts, each
file a named graph), queries/ (stored queries; the landing page's sections), catalog/ (the
datasets open-data portals harvest). templates/ and static/ override the pages' own, file by
file. After editing data, run imagraph --site {folder} stamp (the dates harvesters see)."""
    )


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="IMAGRAPH_HOST",
    help="Address to listen on (or IMAGRAPH_HOST).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    envvar="IMAGRAPH_PORT",
    help="Port to listen on (or IMAGRAPH_PORT).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Worker processes, each with its own copy of the embedded store.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=None,
    help="Threads per worker (default 16, or IMAGRAPH_THREADS).",
)
@click.option("--base-iri", help="Base IRI the data is minted under (overrides the global option).")
@click.option(
    "--public-url", help="Public URL behind a reverse proxy, e.g. https://data.example.org/."
)
@click.option(
    "--trusted-proxies",
    type=click.IntRange(0, 10),
    default=None,
    help="Number of proxies whose X-Forwarded-* headers to trust.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    base_iri: str | None,
    public_url: str | None,
    trusted_proxies: int | None,
) -> None:
    """Serve the graph as linked data on a production WSGI server (gunicorn)."""
    from .web.server import free_port, run

    free_port(host, port)
    given: dict[str, Any] = {
        "base_iri": base_iri,
        "public_url": public_url,
        "trusted_proxies": trusted_proxies,
        "threads": threads or None,  # None: the environment's or the default
    }
    # the site, store and everything else as the global options and the environment say
    settings = dataclasses.replace(
        _settings(ctx), **{k: v for k, v in given.items() if v is not None}
    )
    click.echo(
        f"Serving {settings.base_iri} on http://{host}:{port}/ with {workers} workers of "
        f"{settings.threads} threads"
    )
    run(settings, host, port, workers)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Bulk-load FILES into the on-disk or remote store given with --store (each into
    data/<name>).

    A new store first gets the bundled ontology, shapes and data. Serve it with
    `imagraph --store DIR serve`; its workers share it read-only. Without FILES, the bundled
    files are loaded anew (e.g. after they changed). FILES may be gzipped (.nt.gz); each is
    read through once before anything is written, so a file that does not parse changes
    nothing and leaves no store behind.
    """
    settings = _settings(ctx)
    if not backend_for(settings).persistent:
        raise BadInputError("give the store: imagraph --store DIR|URL load FILES...")
    start = time.perf_counter()
    for path in files:
        loading.check_file(path, formats.guess(path))
    core = Core.open(settings, load=False)
    if files:
        counts = core.bulk_load(list(files))
    else:
        counts = core.load_bundled().graphs
        core.store.flush()
    for graph, n in counts.items():
        click.echo(f"  {n:10d}  {graph}")
    click.echo(
        f"{core.store.count()} quads in {settings.store} ({time.perf_counter() - start:.1f} s)"
    )


@cli.command()
@click.option("--lang", type=click.Choice(["de", "en"]), default="en", show_default=True)
@click.pass_context
def check(ctx: click.Context, lang: str) -> None:
    """Load the bundled graph, validate the data against the shapes and print figures (and
    make the site's instance, so that what it cannot be served with is said here)."""
    core = Core.open(_settings(ctx), load=False)
    loaded = core.load_bundled()
    Instance(core)  # the site's stored queries, catalogue and extensions
    start = time.perf_counter()
    result = core.validate()
    seconds = time.perf_counter() - start
    click.echo(f"Loaded {sum(loaded.graphs.values())} quads in {loaded.seconds * 1000:.0f} ms:")
    for name, n in loaded.graphs.items():
        click.echo(f"  {n:6d}  {core.settings.graph_iri(name)}")
    click.echo("\nInstances per class (data graphs):")
    for cls, n in core.counts_by_class():
        click.echo(f"  {n:6d}  {compact(cls, core.settings.config.prefixes)}")
    if confidence := core.settings.config.vocabulary.confidence:
        conf = core.confidence_counts()
        click.echo(f"\nConfidence ({compact(confidence, core.settings.config.prefixes)}):")
        for kind in ("resources", "statements"):
            levels = ", ".join(f"{lvl} {n}" for lvl, n in sorted(conf[kind].items())) or "none"
            click.echo(f"  {kind:10s}  {levels}")
    click.echo(f"\nValidated against the shapes in {seconds:.2f} s.")
    click.echo(report_text(result, lang).rstrip())
    ctx.exit(0 if result.conforms else 1)


#: Submissions this large (bytes) or larger are reported on as they are validated.
PROGRESS_BYTES = 1_000_000


def _progress(line: str) -> None:
    click.echo(f"imagraph validate: {line}", err=True)


def _read_graph(
    core: Core, sources: tuple[str, ...], fmt: str | None
) -> list[submissions.Submission]:
    """All sources (files, or http(s) URLs fetched under the service's rules), to be parsed
    safely in the child that validates them."""
    fixed = formats.by_name(fmt) if fmt else None
    parts = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            data, fetched_fmt = submissions.fetch_submission(source, core.settings)
            parts.append(submissions.Submission(data, fixed or fetched_fmt, source))
        else:
            path = Path(source)
            parts.append(
                submissions.Submission(
                    loading.read_bytes(path),
                    fixed or formats.guess(path),
                    source,
                    base_iri=path.resolve().as_uri(),
                )
            )
    return parts


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--shapes",
    "shapes_files",
    multiple=True,
    help="Shapes to use instead of the bundled ones (a file or URL; repeatable).",
)
@click.option(
    "--input-format",
    help=f"Format of the files: {_names()} (default: from the file name).",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["text", "json", "turtle", "json-ld"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--lang",
    type=click.Choice(["de", "en"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
@click.option(
    "--alone",
    is_flag=True,
    help="Validate the files alone, without the published data (by default they are "
    "validated together with it, so they may cite published resources).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the validation may take, all its steps together (default 60, or "
    "IMAGRAPH_VALIDATE_TIMEOUT).",
)
@click.pass_context
def validate(
    ctx: click.Context,
    files: tuple[str, ...],
    shapes_files: tuple[str, ...],
    input_format: str | None,
    out_format: str,
    lang: str,
    alone: bool,
    timeout: float | None,
) -> None:
    """Validate RDF FILES (or http(s) URLs) against the shapes, together with the published
    data (or --alone). Files of 1 MB or more are reported on as they go, on stderr (parsing,
    gathering what they affect in the published data, validating).

    Exit 0 conforms, 1 does not, 2 bad input, 3 past the time limit. URLs are fetched under
    the rules of the /validate service (public addresses only, size and time limits).
    """
    core = Core.open(_settings(ctx))
    data = _read_graph(core, files, input_format)
    shapes = _read_graph(core, shapes_files, None) if shapes_files else None
    run = submissions.check if alone else submissions.check_with_published
    try:
        checked = run(
            core,
            data,
            shapes,
            timeout=timeout or core.settings.validate_timeout,
            progress=_progress if sum(len(p.data) for p in data) >= PROGRESS_BYTES else None,
            idle=False,  # a person waits for it: the machine's other work does not come first
        )
    except ValidationTimeoutError as err:
        raise ValidationTimeoutError(f"{err}; raise the limit with --timeout SECONDS") from None
    if out_format == "text":
        click.echo(checked.text[lang], nl=False)
    elif out_format == "json":
        click.echo(json.dumps(checked.summary[lang], ensure_ascii=False, indent=2))
    elif out_format == "turtle":
        click.echo(checked.report_turtle.decode("utf-8"), nl=False)
    else:
        click.echo(checked.report_graph().serialize(format="json-ld"), nl=False)
    ctx.exit(0 if checked.conforms else 1)


@cli.command()
@click.argument("sparql", required=False)
@click.option(
    "--file", "query_file", type=click.Path(path_type=Path), help="Read the query from a file."
)
@click.option(
    "--format",
    "out_format",
    default="table",
    show_default=True,
    help=f"SELECT/ASK: {', '.join(RESULT_FORMATS)}. CONSTRUCT/DESCRIBE: an RDF format "
    f"({_names()}).",
)
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file: Path | None, out_format: str) -> None:
    """Run a SPARQL query (the argument, a --file, or '-' for standard input)."""
    if query_file is not None:
        try:
            sparql = query_file.read_text(encoding="utf-8")
        except OSError as err:
            raise BadInputError(f"{query_file}: {err.strerror}") from None
    elif sparql == "-":
        sparql = sys.stdin.read()
    if not sparql:
        raise BadInputError(
            "give a query as an argument, with --file, or '-' to read standard input"
        )
    core = _core(ctx)
    limits = query_engine.Limits.from_settings(core.settings)
    pool = query_engine.RunnerPool.for_store(core.store, limits)
    try:
        if out_format in RESULT_FORMATS:  # a table or results; CONSTRUCT gives Turtle
            name = formats.SPARQL_JSON.name if out_format == "table" else out_format
            results_format = formats.results_by_name(name)
            graph_format = formats.TURTLE
        else:
            try:
                graph_format = formats.by_name(out_format)
            except UnsupportedFormatError:
                raise UnsupportedFormatError(
                    f"unknown results format {out_format!r}: use {', '.join(RESULT_FORMATS)} "
                    "for SELECT and ASK, or an RDF format for CONSTRUCT and DESCRIBE"
                ) from None
            results_format = formats.SPARQL_JSON
        result = query_engine.execute(
            pool,
            sparql,
            results_format=results_format,
            graph_format=graph_format,
            limits=limits,
            stream=out_format != "table",
        )
        if result.kind != "graph" and out_format not in RESULT_FORMATS:
            if isinstance(result, query_engine.StreamedResult):
                result.close()
            raise UnsupportedFormatError(
                f"a {result.kind.upper()} result is written as {', '.join(RESULT_FORMATS)}"
            )
        if isinstance(result, query_engine.StreamedResult):  # no cap: written as it comes
            try:
                for chunk in result:
                    sys.stdout.buffer.write(chunk)
            finally:
                result.close()
        elif result.kind != "graph" and out_format == "table":
            _print_table(result.body, core.settings.config.prefixes)
        else:
            sys.stdout.buffer.write(result.body)
        if result.truncated:
            click.echo(f"(stopped at {limits.max_rows} rows: IMAGRAPH_QUERY_MAX_ROWS)", err=True)
    finally:
        pool.stop()


def _cell(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, prefixes: dict[str, str]
) -> str:
    """A term in a table cell: IRIs as prefixed names, literals with their language, an RDF 1.2
    triple term as it is written."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return f"<<( {term} )>>"
    return f"{term.value}@{term.language}" if term.language else term.value


def _print_table(json_results: bytes, prefixes: dict[str, str]) -> None:
    parsed = ox.parse_query_results(json_results, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        click.echo("true" if bool(parsed) else "false")
        return
    header = [v.value for v in parsed.variables]
    rows = [[_cell(solution[v], prefixes) for v in header] for solution in parsed]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    click.echo(f"({len(rows)} rows)")


@cli.command()
@click.option(
    "--format",
    "out_format",
    default="trig",
    show_default=True,
    help=f"{_names(formats.GRAPH)} (the union of all graphs) or {_names(formats.DATASET)} "
    "(each named graph).",
)
@click.option(
    "--graph", help="Only this named graph (its IRI, or a short name such as data/meetings)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File to write (default: standard output).",
)
@click.pass_context
def dump(ctx: click.Context, out_format: str, graph: str | None, output: Path | None) -> None:
    """Write the whole dataset, or one graph, in a chosen format."""
    core = _core(ctx)
    fmt = formats.by_name(out_format)
    iri = None
    if graph is not None:
        iri = graph if "://" in graph else core.settings.graph_iri(graph)
        if iri not in core.store.graphs():
            raise NotFoundError(f"no graph {iri}; graphs: {', '.join(core.store.graphs())}")
    if output is None:
        _dump(core, sys.stdout.buffer, fmt, iri)
    else:
        with output.open("wb") as out:
            _dump(core, out, fmt, iri)


def _dump(core: Core, out: IO[bytes], fmt: formats.Format, graph: str | None) -> None:
    core.store.dump(out, fmt, graph)
    out.flush()


@cli.command()
@click.option("--check", is_flag=True, help="Change nothing; exit 1 naming what is not stamped.")
@click.pass_context
def stamp(ctx: click.Context, check: bool) -> None:
    """Record when each bundled file's content last changed, in stamps.json beside it: a new or
    changed file is dated now, the others keep their dates."""
    files = [p for paths in Core.bundled_files(_settings(ctx)).values() for p in paths]
    if check:
        problems = stamps.stale(files)
        for problem in problems:
            click.echo(problem)
        if problems:
            raise click.ClickException("not stamped as it is: run imagraph stamp")
        return
    changed = stamps.stamp(files, now())
    for path in changed:
        click.echo(f"stamped {path}")
    click.echo(f"{len(changed)} of {len(files)} files dated now, the others unchanged")


@cli.command()
@click.option(
    "--scale",
    type=click.IntRange(min=1000),
    default=100_000,
    show_default=True,
    help="About how many triples to generate.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="N-Triples file to write (.nt, or .nt.gz to compress).",
)
@click.pass_context
def generate(ctx: click.Context, scale: int, seed: int, output: Path) -> None:
    """Generate deterministic synthetic data in the bundled site's model (its ontology's
    meetings, ministries, Länder, municipalities …), conforming to its shapes."""
    from .generate import IMO_TERMS, write_ntriples

    settings = _settings(ctx)
    namespace = settings.config.vocabulary.namespace
    defined = {  # the site's ontology must have the terms the data is made of
        q.subject.value
        for path in Core.bundled_files(settings)["ontology"]
        for q in loading.parse_file(path)
        if isinstance(q.subject, ox.NamedNode)
    }
    missing = [
        t for t in ("Meeting", "FederalMinistry", "Municipality") if namespace + t not in defined
    ]
    if missing or not namespace:
        raise BadInputError(
            "imagraph generate makes data in the bundled site's model; this site's ontology "
            f"defines no {', '.join(missing or IMO_TERMS[:1])} in {namespace or 'its namespace'}"
        )
    start = time.perf_counter()
    n = write_ntriples(output, scale=scale, seed=seed, namespace=namespace)
    click.echo(f"wrote {n} triples to {output} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    cli()
