"""Settings: one frozen object, defaults first, then ``IMAGRAPH_*`` environment variables."""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import BadInputError
from .site import SITE_FILE, SiteConfig


def _find_site() -> Path:
    """The site folder (holding ``site.toml``): the one above this package (a source checkout
    or an editable install, whose own site is the default), else the current directory."""
    here = Path(__file__).resolve()
    for candidate in (*here.parents, Path.cwd()):
        if (candidate / SITE_FILE).is_file():
            return candidate
    return Path.cwd()


def _package_version() -> str:
    try:
        return importlib.metadata.version("imagraph")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout
        return "unknown"


@dataclass(frozen=True)
class Settings:
    """Everything imagraph can be configured with. Paths may be relative to the working folder."""

    #: The site folder: ``site.toml`` beside ``ontology/``, ``shapes/``, ``data/``, ``queries/``,
    #: ``catalog/`` and optional ``templates/`` and ``static/`` (see :mod:`imagraph.site`).
    site: Path = field(default_factory=_find_site)
    #: The persistent base IRI the data is served under (empty: the site's ``base_iri``, which its
    #: files are minted under; another base re-mints their IRIs on load).
    base_iri: str = ""
    #: The site's ``site.toml`` (read as the settings are made).
    config: SiteConfig = field(init=False, repr=False, compare=False)
    data_dir: Path | None = None
    ontology_dir: Path | None = None
    shapes_dir: Path | None = None
    queries_dir: Path | None = None
    #: ``memory`` (the default), the folder of an on-disk store, or the http(s) URL of the query
    #: endpoint of a remote SPARQL 1.1 store.
    store: str = "memory"
    #: A remote store: its SPARQL Update endpoint (default: the query URL), its Graph Store HTTP
    #: Protocol endpoint (needed to load and write), the user and password (or a file holding
    #: the password) and how they are sent (``basic`` or ``digest``), and the seconds a request
    #: to it may take (queries: ``query_timeout``).
    store_update_url: str | None = None
    store_graph_store_url: str | None = None
    store_user: str | None = None
    store_password: str | None = None
    store_password_file: Path | None = None
    store_auth: str = "basic"
    store_timeout: float = 60.0
    #: A remote store: the IRI prefixes of its named graphs that imagraph serves, separated by
    #: spaces (default: ``{base}graph/``, the graphs imagraph loads). Other graphs of the store
    #: are never read.
    store_graphs: str = ""
    #: The public URL the server is reached at behind a proxy (e.g. ``https://data.example.org/``);
    #: absolute links use it. Unset: links use the host of each request.
    public_url: str | None = None
    #: How many reverse proxies in front of the server to trust for ``X-Forwarded-*`` headers.
    trusted_proxies: int = 0
    #: ``Cache-Control: max-age`` of pages and documents, in seconds.
    cache_max_age: int = 300
    #: Where dump files are made and kept (one folder per data version). Unset: a folder of the
    #: system's temporary folder, shared by the servers of an on-disk or remote store, private to
    #: each server for the in-memory store (see :func:`imagraph.dumps.folder_of`).
    dump_dir: Path | None = None
    #: Catalogue: the organisation that publishes the data and grants the usage rights (DCAT-AP.de
    #: K36), its IRI (default: the server's public URL + ``#publisher``), a contact e-mail and URL
    #: (K01: at least one), the GovData contributor ID (K12, an IRI from
    #: http://dcat-ap.de/def/contributors/), the licence (an IRI of the dcat-ap.de licence list,
    #: K32) and the attribution text the licence asks for (K35).
    #: Unset (empty), each is the site's (``[publisher]``, ``licence``, ``attribution``).
    publisher_name: str = ""
    publisher_iri: str | None = None
    contact_email: str | None = None
    contact_url: str | None = None
    contributor_id: str | None = None
    licence: str = ""
    attribution: str = ""
    #: Catalogue: datasets per page of the Hydra-paged catalogue.
    catalog_page_size: int = 50
    #: Validation: the largest submission in bytes (bigger: 413), seconds a validation may take,
    #: seconds a fetch by URL may take, and whether submitters may bring their own shapes.
    validate_max_bytes: int = 10 * 1024 * 1024
    validate_timeout: float = 60.0
    fetch_timeout: float = 10.0
    validate_user_shapes: bool = False
    #: Networks (CIDR blocks separated by spaces) that submissions may be fetched from although
    #: they are not public, e.g. an intranet's ``10.20.0.0/16`` (default: none, public only).
    fetch_allow_networks: str = ""
    #: Writes (Graph Store Protocol) are off unless tokens are configured: ``name:token`` pairs
    #: separated by spaces, or a file with one pair per line. The name is recorded with each write.
    write_tokens: str = ""
    write_tokens_file: Path | None = None
    #: Wrong write tokens a client may send within ``write_auth_window`` seconds before it is
    #: refused (429) for the rest of the window (0: no limit).
    write_auth_failures: int = 10
    write_auth_window: float = 60.0
    #: SPARQL: seconds a query may run before it is stopped.
    query_timeout: float = 10.0
    #: SPARQL: the most solutions (SELECT) or triples (CONSTRUCT/DESCRIBE) an answer carries.
    query_max_rows: int = 10_000
    #: SPARQL: queries running at once across all workers (0: 4); one client runs at most half.
    query_slots: int = 0
    #: Validations running at once across all workers (0: 2); one client runs at most half.
    validation_slots: int = 0
    #: The server: threads per worker; seconds a client has to send the head of a request (line
    #: and headers) and, once the head is in, its body; seconds a client may read nothing of an
    #: answer before its connection is reset; bytes of answers its clients have not read that a
    #: worker keeps in memory, and past those in temporary files (past both, such a client's
    #: connection is reset).
    threads: int = 16
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    send_timeout: float = 60.0
    send_memory: int = 64 << 20
    send_spool: int = 2 << 30
    #: The server's control socket (for gunicorn's ``gunicornc``): a path, ``off``, or empty for
    #: one in a private folder of each server.
    control_socket: str = ""
    #: SPARQL: endpoints that SERVICE may call, separated by spaces (empty: SERVICE is refused).
    service_allowlist: str = ""
    #: Bytes of memory each child that runs untrusted work (a query runner, a validation, an
    #: update, a dump maker) may take beyond what it inherited (0: no limit).
    child_memory: int = 2 << 30
    #: Rendered responses kept per worker (keyed by data version, so new data never hits stale
    #: entries); 0 turns the cache off.
    cache_entries: int = 2048

    def __post_init__(self) -> None:
        # the site's settings file fills what is not set otherwise
        site = SiteConfig.load(self.site)
        object.__setattr__(self, "config", site)
        publisher = site.publisher
        for name, value in (
            ("base_iri", site.base_iri),
            ("publisher_name", publisher.get("name", "")),
            ("publisher_iri", publisher.get("iri")),
            ("contact_email", publisher.get("email")),
            ("contact_url", publisher.get("url")),
            ("contributor_id", publisher.get("contributor_id")),
            ("licence", site.licence),
            ("attribution", site.attribution),
        ):
            if not getattr(self, name):
                object.__setattr__(self, name, value or getattr(self, name))
        if self.public_url is not None and (
            not self.public_url.startswith(("http://", "https://"))
            or not self.public_url.endswith("/")
        ):
            raise BadInputError(
                f"public URL {self.public_url!r} must be an http(s) URL ending in '/'"
            )
        if not self.base_iri.startswith(("http://", "https://")) or not self.base_iri.endswith(
            ("/", "#")
        ):
            raise BadInputError(
                f"base IRI {self.base_iri!r} must be an http(s) IRI ending in '/' or '#'"
            )
        if self.query_max_rows < 0:
            raise BadInputError(
                f"IMAGRAPH_QUERY_MAX_ROWS must be 0 (no cap: large answers are streamed) or more, "
                f"not {self.query_max_rows}"
            )

    @property
    def data_path(self) -> Path:
        return self.data_dir or self.site / "data"

    @property
    def ontology_path(self) -> Path:
        return self.ontology_dir or self.site / "ontology"

    @property
    def shapes_path(self) -> Path:
        return self.shapes_dir or self.site / "shapes"

    @property
    def queries_path(self) -> Path:
        return self.queries_dir or self.site / "queries"

    @property
    def store_graph_prefixes(self) -> tuple[str, ...]:
        return tuple(self.store_graphs.split()) or (self.graph_iri(""),)

    def graph_iri(self, name: str) -> str:
        """The IRI of one of the named graphs the bundled files are loaded into."""
        return f"{self.base_iri}graph/{name}"

    @classmethod
    def from_env(cls, prefix: str = "IMAGRAPH_", **overrides: object) -> Settings:
        """Defaults, overridden by ``IMAGRAPH_BASE_IRI`` and friends, then by ``overrides``."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(prefix + f.name.upper()) if f.init else None
            if raw is not None:
                if f.name.endswith(("dir", "site", "_file")):
                    values[f.name] = Path(raw)
                elif f.type == "bool":
                    values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
                elif f.type in ("int", "float"):
                    kind = int if f.type == "int" else float
                    try:
                        values[f.name] = kind(raw)
                    except ValueError:
                        raise BadInputError(
                            f"{prefix}{f.name.upper()} must be a {'whole ' if kind is int else ''}"
                            f"number, not {raw!r}"
                        ) from None
                else:
                    values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
