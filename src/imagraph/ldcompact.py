"""JSON-LD compaction of triples with one fixed context, its term maps made once.

pyld compacts a resource in about 1.7 ms, most of it spent on work that is the same for every
request with the same context: processing the context, inverting it, and looking through every
term for a prefix of each IRI. :class:`Compactor` does that work once per context and then
follows the same algorithms for each request (JSON-LD 1.1 "Serialize RDF as JSON-LD" and
"Compaction", as pyld implements them), for the contexts a site publishes: prefixes, terms with
``@id``, a ``@type`` of ``@id`` or a datatype, a ``@container`` of ``@language`` or ``@set``,
aliases of ``@id`` and ``@type``. A context with anything else gets no compactor, and data it
does not handle (lists inside lists, ``rdf:JSON`` literals, literals with a base direction)
raise :class:`Unsupported`: the caller then asks pyld.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDF_FIRST = RDF + "first"
RDF_REST = RDF + "rest"
RDF_NIL = RDF + "nil"
RDF_LIST = RDF + "List"
RDF_JSON = RDF + "JSON"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

#: What a term definition processed by pyld may hold for the compactor to take it.
_TERM_KEYS = {"@id", "@type", "@container", "reverse", "protected", "_prefix", "_term_has_colon"}
#: What the active context may hold besides its terms.
_CONTEXT_KEYS = {"mappings", "_uuid", "processingMode", "@version"}
_CONTAINERS: tuple[list[str], ...] = ([], ["@language"], ["@set"])
_PLAIN_TERM: tuple[list[str], str | None] = ([], None)  # a compact IRI or an IRI
#: Node identifiers a compactor keeps compacted (past it, it begins again).
KEPT_IRIS = 1 << 16

#: Term selection by the kind of value (JSON-LD 1.1 IRI compaction, steps 4.5-4.20): the
#: containers in order of preference and whether the term is chosen by type or by language.
#: (containers, "@type" or "@language")
_Selection = tuple[tuple[str, ...], str]
_REFERENCE: _Selection = (
    ("@id", "@id@set", "@type", "@set@type", "@set", "@none", "@index", "@index@set"),
    "@type",
)
_LANGUAGE: _Selection = (
    ("@language", "@language@set", "@set", "@none", "@index", "@index@set"),
    "@language",
)
_TYPED: _Selection = (("@set", "@none", "@index", "@index@set"), "@type")
_PLAIN: _Selection = (
    ("@set", "@none", "@index", "@index@set", "@language", "@language@set"),
    "@language",
)
_LIST = ("@id", "@id@set", "@type", "@set@type", "@list", "@none", "@index", "@index@set")
_VOCAB: _Selection = (("@set", "@none"), "@type")  # an IRI alone: a type, a datatype


class Unsupported(Exception):
    """Something the compactor leaves to pyld."""


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _literal(lit: ox.Literal) -> dict[str, Any]:
    if lit.language:
        if lit.direction is not None:
            raise Unsupported("a literal with a base direction")
        return {"@value": lit.value, "@language": lit.language}
    datatype = lit.datatype.value
    if datatype == XSD_STRING:
        return {"@value": lit.value}
    if datatype == RDF_JSON:
        raise Unsupported("an rdf:JSON literal")
    return {"@value": lit.value, "@type": datatype}


def _add(subject: dict[str, Any], key: str, value: Any, as_array: bool) -> None:
    """A value added to a compacted object: alone, or in an array from the second on."""
    if key in subject:
        if not isinstance(subject[key], list):
            subject[key] = [subject[key]]
        subject[key].append(value)
    else:
        subject[key] = [value] if as_array else value


def expand(triples: Iterable[ox.Triple]) -> list[dict[str, Any]]:
    """Triples as expanded JSON-LD node objects, sorted by identifier (RDF to JSON-LD, with
    well-formed ``rdf:first``/``rdf:rest`` chains as lists, ``rdf:type`` as ``@type``)."""
    nodes: dict[str, dict[str, Any]] = {}
    once: dict[str, tuple[dict[str, Any], str, dict[str, Any]] | None] = {}
    nil_usages: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
    for triple in dict.fromkeys(triples):
        subject = _node_id(triple.subject)  # type: ignore[arg-type]
        node = nodes.get(subject) or nodes.setdefault(subject, {"@id": subject})
        predicate = triple.predicate.value
        obj = triple.object
        if isinstance(obj, ox.Literal):
            node.setdefault(predicate, []).append(_literal(obj))
            continue
        if isinstance(obj, ox.Triple):
            raise Unsupported("a triple term")
        target = _node_id(obj)
        if target not in nodes:
            nodes[target] = {"@id": target}
        if predicate == RDF_TYPE:
            node.setdefault("@type", []).append(target)
            continue
        value = {"@id": target}
        node.setdefault(predicate, []).append(value)
        if target == RDF_NIL:
            nil_usages.append((node, predicate, value))
        elif target in once:
            once[target] = None  # referenced more than once
        else:
            once[target] = (node, predicate, value)
    for node, predicate, head in nil_usages:
        items: list[dict[str, Any]] = []
        list_nodes: list[str] = []
        while predicate == RDF_REST and _is_list_node(node, once):
            items.append(node[RDF_FIRST][0])
            list_nodes.append(node["@id"])
            node, predicate, head = once[node["@id"]]  # type: ignore[misc]
            if not node["@id"].startswith("_:"):
                break
        del head["@id"]
        items.reverse()
        head["@list"] = items
        for name in list_nodes:
            nodes.pop(name, None)
    return [nodes[name] for name in sorted(nodes) if len(nodes[name]) > 1]


def _is_list_node(node: dict[str, Any], once: dict[str, Any]) -> bool:
    """Whether ``node`` is a link of a list: referenced once, one first, one rest, nothing
    else but a type ``rdf:List``."""
    return (
        once.get(node["@id"]) is not None
        and len(node.get(RDF_FIRST, ())) == 1
        and len(node.get(RDF_REST, ())) == 1
        and (len(node) == 3 or (len(node) == 4 and node.get("@type") == [RDF_LIST]))
    )


class Compactor:
    """Compacts triples with one context: the term maps are made once, here."""

    def __init__(self, mappings: dict[str, dict[str, Any]]) -> None:
        self._terms = mappings
        self._inverse = _inverse(mappings)
        #: (term, IRI) of every prefix (a term that can begin a compact IRI)
        self._prefixes = [
            (term, m["@id"]) for term, m in mappings.items() if ":" not in term and m["_prefix"]
        ]
        self._prefix_names = {term for term, _ in self._prefixes}
        #: terms that are compact IRIs themselves ("schema:name"), by the IRI they stand for
        self._curie_terms: dict[str, list[str]] = {}
        for term, m in mappings.items():
            if ":" in term:
                self._curie_terms.setdefault(m["@id"], []).append(term)
        self._id = self._keyword("@id")
        self._type = self._keyword("@type")
        self._graph = self._keyword("@graph")
        self._list = self._keyword("@list")
        self._none = self._keyword("@none")
        #: each term's container and type
        self._kinds = {t: (m.get("@container", []), m.get("@type")) for t, m in mappings.items()}
        #: chosen terms by (IRI, kind of value): bounded by the vocabulary, not by the data
        self._chosen: dict[tuple[str, Any], str] = {}
        #: compacted node identifiers, the last up to :data:`KEPT_IRIS`
        self._iris: dict[str, str] = {}

    @classmethod
    def of(cls, active_context: dict[str, Any]) -> Compactor | None:
        """The compactor for an active context made by pyld, None if it holds anything this
        module does not do (a ``@vocab``, a default language, scoped contexts …)."""
        if set(active_context) - _CONTEXT_KEYS:
            return None
        mappings = active_context["mappings"]
        if not all(_is_simple(m) for m in mappings.values()):
            return None
        return cls(dict(mappings))

    def compact(self, triples: Iterable[ox.Triple], context_url: str) -> dict[str, Any]:
        """The compacted document of ``triples``, its context referenced by ``context_url``.
        :class:`Unsupported` for what only pyld does."""
        nodes = [self._node(node) for node in expand(triples)]
        if len(nodes) == 1:
            return {"@context": context_url, **nodes[0]}
        if not nodes:
            return {"@context": context_url}
        return {"@context": context_url, self._graph: nodes}

    def _node(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sorted(node):
            values = node[key]
            if key == "@id":
                out[self._id] = self._iri(values)
            elif key == "@type":
                types = [self._vocab(t) for t in values]
                out[self._type] = types[0] if len(types) == 1 else types
            else:
                for item in values:
                    self._item(out, key, item)
        return out

    def _item(self, out: dict[str, Any], prop: str, item: dict[str, Any]) -> None:
        if "@list" in item:
            items = item["@list"]
            term = self._term(prop, self._list_kind(items))
            container, datatype = self._kinds.get(term, _PLAIN_TERM)
            compacted: Any = {self._list: [self._value(datatype, x) for x in items]}
        else:
            term = self._term(prop, self._kind(item))
            container, datatype = self._kinds.get(term, _PLAIN_TERM)
            compacted = self._value(datatype, item)
        if "@language" in container:
            if isinstance(compacted, dict) and "@value" in compacted:
                compacted = compacted["@value"]
            language_map = out.setdefault(term, {})
            _add(language_map, item.get("@language") or self._none, compacted, False)
        else:
            _add(out, term, compacted, "@set" in container)

    def _value(self, datatype: str | None, item: dict[str, Any]) -> Any:
        """A value or node reference compacted for a term of type ``datatype`` (value
        compaction)."""
        if "@list" in item:
            raise Unsupported("a list in a list")
        if "@value" in item:
            if len(item) == 1 or item.get("@type", False) == datatype:
                return item["@value"]
            if "@type" in item:
                return {self._type: self._vocab(item["@type"]), "@value": item["@value"]}
            return {"@language": item["@language"], "@value": item["@value"]}
        iri = self._iri(item["@id"])
        return iri if datatype == "@id" else {self._id: iri}

    @staticmethod
    def _kind(item: dict[str, Any]) -> tuple[str, ...]:
        if "@id" in item:
            return ("@id",)
        if "@language" in item:
            return ("@language", item["@language"])
        if "@type" in item:
            return ("@type", item["@type"])
        return ("@null",)

    @staticmethod
    def _list_kind(items: list[dict[str, Any]]) -> tuple[str, ...]:
        """The kind of a list: the type or language all its items share, else ``@none``."""
        if not items:
            return ("@any",)
        language = kind = None
        for item in items:
            item_language = item_type = "@none"
            if "@value" in item:
                if "@language" in item:
                    item_language = item["@language"]
                elif "@type" in item:
                    item_type = item["@type"]
                else:
                    item_language = "@null"
            else:
                item_type = "@id"
            if language is None:
                language = item_language
            elif item_language != language and "@value" in item:
                language = "@none"
            kind = item_type if kind is None or item_type == kind else "@none"
            if language == "@none" and kind == "@none":
                break
        if kind not in (None, "@none"):
            return ("@list-type", kind)
        return ("@list-language", language or "@none")

    def _term(self, iri: str, kind: tuple[str, ...]) -> str:
        """The term, compact IRI or IRI for property ``iri`` holding a value of ``kind``."""
        key = (iri, kind)
        chosen = self._chosen.get(key)
        if chosen is None:
            chosen = self._select(iri, kind)
            if chosen is None:
                chosen = self._compact_iri(iri, value_is_none=kind == ("@vocab",))
            if len(self._chosen) < 65536:
                self._chosen[key] = chosen
        return chosen

    def _select(self, iri: str, kind: tuple[str, ...]) -> str | None:
        """Term selection from the inverse context, as pyld's ``_select_term``."""
        containers_by = self._inverse.get(iri)
        if containers_by is None:
            return None
        tag = kind[0]
        containers: tuple[str, ...]
        by: str
        prefs: tuple[str, ...]
        if tag == "@id":
            containers, by = _REFERENCE
            prefs = ("@id", "@vocab", "@none")
        elif tag == "@language":
            containers, by = _LANGUAGE
            prefs = (kind[1], "@none")
        elif tag == "@type":
            containers, by = _TYPED
            prefs = (kind[1], "@none")
        elif tag == "@null":
            containers, by = _PLAIN
            prefs = ("@null", "@none")
        elif tag == "@vocab":
            containers, by = _VOCAB
            prefs = ("@id", "@none")
        else:  # a list
            containers = _LIST
            by, prefs = {
                "@any": ("@any", ("@none", "@none")),
                "@list-type": ("@type", (kind[-1], "@none")),
                "@list-language": ("@language", (kind[-1], "@none")),
            }[tag]
        for container in containers:
            entry = containers_by.get(container)
            if entry is None:
                continue
            for pref in prefs:
                term = entry[by].get(pref)
                if term is not None:
                    return term
        return None

    def _vocab(self, iri: str) -> str:
        """An IRI in the place of a vocabulary term (a type, a datatype)."""
        return self._term(iri, ("@vocab",))

    def _iri(self, iri: str) -> str:
        """A node's identifier: a compact IRI when a prefix fits, else as it is."""
        compacted = self._iris.get(iri)
        if compacted is None:
            compacted = self._compact_iri(iri, value_is_none=True)
            if len(self._iris) >= KEPT_IRIS:
                self._iris.clear()
            self._iris[iri] = compacted
        return compacted

    def _compact_iri(self, iri: str, *, value_is_none: bool) -> str:
        """The shortest usable compact IRI of ``iri`` (ties: the least), else ``iri``."""
        terms = self._terms
        best: str | None = None
        for term, prefix in self._prefixes:
            if prefix == iri or not iri.startswith(prefix):
                continue
            curie = f"{term}:{iri[len(prefix) :]}"
            if curie not in terms and (best is None or (len(curie), curie) < (len(best), best)):
                best = curie
        if value_is_none:
            for curie in self._curie_terms.get(iri, ()):
                term, _, rest = curie.partition(":")
                prefix = terms[term]["@id"] if term in terms else None
                if (
                    prefix
                    and prefix != iri
                    and iri == prefix + rest
                    and (best is None or (len(curie), curie) < (len(best), best))
                ):
                    best = curie
        if best is not None:
            return best
        if iri.partition(":")[0] in self._prefix_names:
            raise Unsupported(f"IRI {iri!r} confused with a prefix")
        return iri

    def _keyword(self, keyword: str) -> str:
        entry = self._inverse.get(keyword, {}).get("@none")
        return (entry and entry["@type"].get("@none")) or keyword


def _is_simple(m: Any) -> bool:
    """Whether a term definition is one the compactor handles: an absolute IRI with at most a
    ``@type`` (``@id`` or a datatype) and a container (``@language``, ``@set``), or a plain
    alias of ``@id`` or ``@type``."""
    if not isinstance(m, dict) or set(m) - _TERM_KEYS or m["reverse"]:
        return False
    iri, datatype, container = m.get("@id"), m.get("@type"), m.get("@container", [])
    if not isinstance(iri, str) or container not in _CONTAINERS:
        return False
    if iri.startswith("@"):
        return iri in ("@id", "@type") and datatype is None and not container
    if datatype not in (None, "@id") and (datatype.startswith("@") or ":" not in datatype):
        return False
    return ":" in iri


#: IRI → container → "@type"/"@language"/"@any" → type or language → term
_Inverse = dict[str, dict[str, dict[str, dict[str, str]]]]


def _inverse(mappings: dict[str, dict[str, Any]]) -> _Inverse:
    """The inverse context: for each IRI and container, the terms by type and by language,
    shortest first (JSON-LD 1.1 "Inverse Context Creation", no default language)."""
    inverse: _Inverse = {}
    for term, m in sorted(mappings.items(), key=lambda kv: (len(kv[0]), kv[0])):
        container = "".join(sorted(m.get("@container", ["@none"])))
        entry = inverse.setdefault(m["@id"], {}).setdefault(
            container, {"@language": {}, "@type": {}, "@any": {}}
        )
        entry["@any"].setdefault("@none", term)
        if "@type" in m:
            entry["@type"].setdefault(m["@type"], term)
        else:
            entry["@language"].setdefault("@none", term)
            entry["@type"].setdefault("@none", term)
    return inverse
