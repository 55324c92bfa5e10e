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
#: How a value is compacted (:meth:`Compactor._plan`): its term; its key in the term's language
#: map (None: no map); whether in an array; what wraps it, if anything (:meth:`Compactor._wrap`)
_Plan = tuple[str, str | None, bool, tuple[str, str] | None]


class Unsupported(Exception):
    """Something the compactor leaves to pyld."""


#: Triples grouped: node identifier → predicate IRI (``@type`` for the types) → objects, in
#: their order: literals as they are, node identifiers as strings, lists as :class:`_List`.
_Nodes = dict[str, dict[str, list[Any]]]
#: Where a node is referenced: (referring node, its predicates, predicate, objects, position).
_Usage = tuple[str, dict[str, list[Any]], str, list[Any], int]


class _List:
    """A well-formed RDF list in place of the reference to its first node: the ``rdf:first``
    objects of its nodes, in order (read when compacted, so a list in a list is seen)."""

    __slots__ = ("firsts",)

    def __init__(self, firsts: list[list[Any]]) -> None:
        self.firsts = firsts


def group(triples: Iterable[ox.Triple]) -> _Nodes:
    """Triples without duplicates as nodes (RDF to JSON-LD, expanded but for the values): by
    subject, then by predicate, ``rdf:type`` as ``@type``, well-formed ``rdf:first``/``rdf:rest``
    chains as :class:`_List`. Key order is the triples' (sorted when compacted)."""
    nodes: _Nodes = {}
    nil_usages: list[tuple[str, dict[str, list[Any]], str]] = []  # each (node, predicate) once
    named, literal = ox.NamedNode, ox.Literal
    last: Any = None
    name = ""
    node: dict[str, list[Any]] = {}
    for triple in dict.fromkeys(triples):
        subject = triple.subject
        if subject != last:  # a subject's triples mostly come together
            last = subject
            # no triple term is a subject in RDF 1.2 (pyoxigraph's stubs allow one)
            name = subject.value if isinstance(subject, named) else f"_:{subject.value}"  # type: ignore[union-attr]
            node = nodes.get(name) or nodes.setdefault(name, {})
        predicate = triple.predicate.value
        obj = triple.object
        if isinstance(obj, literal):
            target: Any = obj
        else:
            if isinstance(obj, named):
                target = obj.value
            elif isinstance(obj, ox.BlankNode):
                target = f"_:{obj.value}"
            else:
                raise Unsupported("a triple term")
            if predicate == RDF_TYPE:
                predicate = "@type"
            elif target == RDF_NIL:
                nil_usages.append((name, node, predicate))
        values = node.get(predicate)
        if values is None:
            node[predicate] = [target]
        else:
            values.append(target)
    if nil_usages:
        _make_lists(nodes, nil_usages)
    return nodes


def _make_lists(nodes: _Nodes, nil_usages: list[tuple[str, dict[str, list[Any]], str]]) -> None:
    """Every chain of list nodes that ends in ``rdf:nil`` made a :class:`_List` in place of the
    reference to its first node, its nodes removed."""
    once: dict[str, _Usage | None] = {}  # where a node is referenced, None if more than once
    for name, node in nodes.items():
        for predicate, values in node.items():
            if predicate != "@type":
                for index, value in enumerate(values):
                    if isinstance(value, str) and value != RDF_NIL:
                        usage = (name, node, predicate, values, index)
                        once[value] = None if value in once else usage
    for name, node, predicate in nil_usages:
        values = node[predicate]
        index = values.index(RDF_NIL)
        firsts: list[list[Any]] = []
        list_nodes: list[str] = []
        while predicate == RDF_REST and _is_list_node(node, once.get(name)):
            firsts.append(node[RDF_FIRST])
            list_nodes.append(name)
            name, node, predicate, values, index = once[name]  # type: ignore[misc]
            if not name.startswith("_:"):
                break
        firsts.reverse()
        values[index] = _List(firsts)
        for name in list_nodes:
            nodes.pop(name, None)


def _is_list_node(node: dict[str, list[Any]], usage: _Usage | None) -> bool:
    """Whether ``node`` is a link of a list: referenced once, one first, one rest, nothing
    else but a type ``rdf:List``."""
    return (
        usage is not None
        and len(node.get(RDF_FIRST, ())) == 1
        and len(node.get(RDF_REST, ())) == 1
        and (len(node) == 2 or (len(node) == 3 and node.get("@type") == [RDF_LIST]))
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
        #: how values are compacted, by property IRI, then by kind (see :meth:`_plan`)
        self._plans: dict[str, dict[str, _Plan]] = {}

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
        compacted = self._nodes(group(triples))
        if len(compacted) == 1:
            return {"@context": context_url, **compacted[0]}
        if not compacted:
            return {"@context": context_url}
        return {"@context": context_url, self._graph: compacted}

    def _nodes(self, nodes: _Nodes) -> list[dict[str, Any]]:
        """The nodes compacted, sorted by identifier."""
        iris, all_plans, literal = self._iris, self._plans, ox.Literal
        compacted_nodes = []
        for name in sorted(nodes):
            node = nodes[name]
            out: dict[str, Any] = {self._id: iris.get(name) or self._iri(name)}
            for predicate in sorted(node):  # "@type" first: IRIs begin with a letter
                values = node[predicate]
                if predicate == "@type":
                    types = [self._vocab(t) for t in values]
                    out[self._type] = types[0] if len(types) == 1 else types
                    continue
                plans = all_plans.get(predicate)
                if plans is None:
                    plans = {}
                    if len(all_plans) < KEPT_IRIS:
                        all_plans[predicate] = plans
                for value in values:
                    if isinstance(value, literal):
                        key = value.language
                        if key is None:
                            key = value.datatype.value
                        elif value.direction is not None:
                            raise Unsupported("a literal with a base direction")
                        plan = plans.get(key) or self._plan(plans, predicate, value, key)
                        term, language_key, as_array, wrap = plan
                        text = value.value
                        compacted: Any = (
                            text if wrap is None else {wrap[0]: wrap[1], "@value": text}
                        )
                    elif isinstance(value, str):  # a node reference
                        plan = plans.get("@id") or self._plan(plans, predicate, value, "@id")
                        term, language_key, as_array, wrap = plan
                        iri = iris.get(value) or self._iri(value)
                        compacted = iri if wrap is None else {wrap[0]: iri}
                    else:
                        term, language_key, as_array, compacted = self._compact_list(
                            predicate, value
                        )
                    target = out
                    if language_key is not None:  # a language map
                        target = out.get(term) or out.setdefault(term, {})
                        term = language_key
                    if term not in target:
                        target[term] = [compacted] if as_array else compacted
                    elif isinstance(existing := target[term], list):
                        existing.append(compacted)
                    else:
                        target[term] = [existing, compacted]
            compacted_nodes.append(out)
        return compacted_nodes

    def _plan(self, plans: dict[str, _Plan], prop: str, value: Any, key: str) -> _Plan:
        """How ``value`` of property ``prop`` and all of its kind are compacted, kept in
        ``plans`` by ``key`` (term selection, then value compaction)."""
        kind = self._kind(value)
        term = self._term(prop, kind)
        container, datatype = self._kinds.get(term, _PLAIN_TERM)
        wrap = self._wrap(datatype, kind)
        plan: _Plan
        if "@language" in container:  # values of a language map: the strings alone
            language = kind[1] if kind[0] == "@language" else self._none
            plan = (term, language, False, wrap if kind[0] == "@id" else None)
        else:
            plan = (term, None, "@set" in container, wrap)
        if len(plans) < 256:
            plans[key] = plan
        return plan

    def _compact_list(
        self, prop: str, value: _List
    ) -> tuple[str, str | None, bool, dict[str, Any]]:
        """(term, language map key, whether in an array, compacted list) of a list."""
        items = [first[0] for first in value.firsts]
        kinds = [self._kind(item) for item in items]
        term = self._term(prop, self._list_kind(kinds))
        container, datatype = self._kinds.get(term, _PLAIN_TERM)
        compacted = {
            self._list: [
                self._value(x, self._wrap(datatype, k)) for x, k in zip(items, kinds, strict=True)
            ]
        }
        if "@language" in container:
            return term, self._none, False, compacted
        return term, None, "@set" in container, compacted

    def _value(self, value: Any, wrap: tuple[str, str] | None) -> Any:
        """A literal or node reference compacted (value compaction)."""
        if isinstance(value, str):
            iri = self._iri(value)
            return iri if wrap is None else {wrap[0]: iri}
        return value.value if wrap is None else {wrap[0]: wrap[1], "@value": value.value}

    def _wrap(self, datatype: str | None, kind: tuple[str, ...]) -> tuple[str, str] | None:
        """What a value of ``kind`` is wrapped in for a term of type ``datatype`` (value
        compaction): None for the value alone, else the key and value before its ``@value``
        (for a node reference, the key of its identifier)."""
        tag = kind[0]
        if tag == "@id":
            return None if datatype == "@id" else (self._id, "")
        if tag == "@language":
            return ("@language", kind[1])
        if tag == "@type" and kind[1] != datatype:
            return (self._type, self._vocab(kind[1]))
        return None

    @staticmethod
    def _kind(value: Any) -> tuple[str, ...]:
        """The kind of an object for term selection: ``@id``, ``@language`` and its language,
        ``@type`` and its datatype, ``@null`` for a plain string."""
        if isinstance(value, str):
            return ("@id",)
        if isinstance(value, _List):
            raise Unsupported("a list in a list")
        if value.language:
            if value.direction is not None:
                raise Unsupported("a literal with a base direction")
            return ("@language", value.language)
        datatype = value.datatype.value
        if datatype == RDF_JSON:
            raise Unsupported("an rdf:JSON literal")
        return ("@null",) if datatype == XSD_STRING else ("@type", datatype)

    @staticmethod
    def _list_kind(kinds: list[tuple[str, ...]]) -> tuple[str, ...]:
        """The kind of a list: the type or language all its items share, else ``@none``."""
        if not kinds:
            return ("@any",)
        language = kind = None
        for tag, *of in kinds:
            item_language = of[0] if tag == "@language" else "@null" if tag == "@null" else "@none"
            item_type = of[0] if tag == "@type" else "@id" if tag == "@id" else "@none"
            if language is None:
                language = item_language
            elif item_language != language and tag != "@id":
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
