"""Deterministic synthetic data in the imagraph model, at German scale, conforming to the shapes.

The administrative layer is Germany's size (16 Länder, 400 districts, about 10,800 municipalities)
from about 400,000 triples up, and proportionally smaller below that. Ministries, agencies,
associations, people, topics and sources follow, then years of meetings (with agenda items,
participations, audiences and announcements) until the requested number of triples is reached.
Everything is minted under a synthetic base so it can never be mistaken for the sourced data.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib.namespace import ClosedNamespace

from .namespaces import PREFIXES

SYNTHETIC_BASE = "https://example.org/imagraph-synthetic/"

#: The terms of the bundled site's ontology the synthetic data uses (checked against the
#: ontology by a test, so a typo raises instead of minting a new IRI); their namespace is the
#: site's (``[vocabulary] namespace`` of its ``site.toml``).
IMO_TERMS = (
    # classes
    "InterministerialCommittee", "WorkingGroup", "FederalMinistry", "FederalAuthority", "Land",
    "Municipality", "District", "Association", "InternationalOrganization", "Company",
    "Instrument", "FormerName", "Role", "Participation", "Meeting", "CommitteeSession",
    "StakeholderMeeting", "NetworkMeeting", "AgendaItem", "Announcement", "ConfidenceLevel",
    "Topic",
    # properties
    "formerName", "abbreviation", "ags", "districtKey", "withinLand", "onBehalfOf",
    "positionHeld", "attestedOn", "datePrecision", "timesArePlanned", "registrationDeadline",
    "alsoCalled", "confidence", "policyBasis",
    # individuals and schemes
    "confidenceLevels", "confirmed", "reported", "inferred", "datePrecisionLevels", "inverseLabel",
    "dayPrecision", "monthPrecision", "roles", "chair", "votingMember", "observer",
    "advisoryMember", "office", "openingSpeaker", "presenter", "panelTopic", "member",
    "stateSecretary", "minister", "head", "president", "projectPartner", "fellow", "teamMember",
)  # fmt: skip


def terms(namespace: str) -> ClosedNamespace:
    """The ontology terms the generator uses, in ``namespace``."""
    return ClosedNamespace(namespace, list(IMO_TERMS))


LAENDER = 16
DISTRICTS = 400
MUNICIPALITIES = 10_800
FULL_SCALE = 400_000  # triples from which the administrative layer has its full size


def _ns(prefix: str) -> str:
    return PREFIXES[prefix]


def _n(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(_ns(prefix) + local)


RDF_TYPE = _n("rdf", "type")
T = {
    k: _n(p, local)
    for k, (p, local) in {
        "FormalOrganization": ("org", "FormalOrganization"),
        "Organization": ("foaf", "Organization"),
        "GovOrg": ("schema", "GovernmentOrganization"),
        "SchemaOrg": ("schema", "Organization"),
        "Person": ("foaf", "Person"),
        "SchemaPerson": ("schema", "Person"),
        "Membership": ("org", "Membership"),
        "Event": ("schema", "Event"),
        "Activity": ("prov", "Activity"),
        "Association": ("prov", "Association"),
        "Document": ("foaf", "Document"),
        "WebPage": ("schema", "WebPage"),
        "Place": ("schema", "Place"),
        "Audience": ("schema", "Audience"),
        "Concept": ("skos", "Concept"),
        "ConceptScheme": ("skos", "ConceptScheme"),
        "CreativeWork": ("schema", "CreativeWork"),
        "prefLabel": ("skos", "prefLabel"),
        "definition": ("skos", "definition"),
        "inScheme": ("skos", "inScheme"),
        "notation": ("skos", "notation"),
        "broader": ("skos", "broader"),
        "narrower": ("skos", "narrower"),
        "topConceptOf": ("skos", "topConceptOf"),
        "hasTopConcept": ("skos", "hasTopConcept"),
        "name": ("schema", "name"),
        "foafName": ("foaf", "name"),
        "identifier": ("org", "identifier"),
        "subOrganizationOf": ("org", "subOrganizationOf"),
        "member": ("org", "member"),
        "organization": ("org", "organization"),
        "role": ("org", "role"),
        "hasMembership": ("org", "hasMembership"),
        "memberOf": ("org", "memberOf"),
        "source": ("dct", "source"),
        "title": ("dct", "title"),
        "publisher": ("dct", "publisher"),
        "language": ("dct", "language"),
        "issued": ("dct", "issued"),
        "url": ("schema", "url"),
        "startDate": ("schema", "startDate"),
        "endDate": ("schema", "endDate"),
        "foundingDate": ("schema", "foundingDate"),
        "organizer": ("schema", "organizer"),
        "location": ("schema", "location"),
        "audience": ("schema", "audience"),
        "audienceType": ("schema", "audienceType"),
        "about": ("schema", "about"),
        "subEvent": ("schema", "subEvent"),
        "superEvent": ("schema", "superEvent"),
        "position": ("schema", "position"),
        "attendanceMode": ("schema", "eventAttendanceMode"),
        "offline": ("schema", "OfflineEventAttendanceMode"),
        "online": ("schema", "OnlineEventAttendanceMode"),
        "mixed": ("schema", "MixedEventAttendanceMode"),
        "agent": ("prov", "agent"),
        "hadRole": ("prov", "hadRole"),
        "qualifiedAssociation": ("prov", "qualifiedAssociation"),
        "wasAssociatedWith": ("prov", "wasAssociatedWith"),
    }.items()
}
LANG_DEU = ox.NamedNode("http://publications.europa.eu/resource/authority/language/DEU")
XSD = _ns("xsd")


def _lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _iri(path: str) -> ox.NamedNode:
    return ox.NamedNode(SYNTHETIC_BASE + path)


class Generator:
    """Yields the triples of one synthetic graph; ``scale`` is the target number of triples."""

    def __init__(self, scale: int, seed: int = 1, *, namespace: str) -> None:
        self._terms = terms(namespace)
        self.scale = scale
        self.rng = random.Random(seed)
        self.count = 0
        self.sources: list[ox.NamedNode] = []
        self.bodies: list[ox.NamedNode] = []
        self.people: list[ox.NamedNode] = []
        self.topics: list[ox.NamedNode] = []
        self.places: list[ox.NamedNode] = []
        self.audiences: list[ox.NamedNode] = []

    def triples(self) -> Iterator[ox.Triple]:
        for part in (
            self._publishers_and_sources,
            self._administrative_layer,
            self._federal_layer,
            self._people,
            self._topics,
            self._places_and_audiences,
            self._meetings,
        ):
            for t in part():
                self.count += 1
                yield t

    # -- helpers ---------------------------------------------------------------------------------

    def _imo(self, term: str) -> ox.NamedNode:
        return ox.NamedNode(getattr(self._terms, term))

    def _t(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(s, T[p] if p in T else self._imo(p), o)

    def _provenance(self, s: ox.NamedNode, confidence: str = "confirmed") -> Iterator[ox.Triple]:
        yield ox.Triple(s, self._imo("confidence"), self._imo(confidence))
        yield self._t(s, "source", self.rng.choice(self.sources))

    def _org(
        self, s: ox.NamedNode, cls: str, de: str, en: str, gov: bool = True
    ) -> Iterator[ox.Triple]:
        for t in (
            self._imo(cls),
            T["FormalOrganization"],
            T["Organization"],
            T["GovOrg"] if gov else T["SchemaOrg"],
        ):
            yield ox.Triple(s, RDF_TYPE, t)
        for prop in ("prefLabel", "name"):
            yield self._t(s, prop, _lit(de, "de"))
            yield self._t(s, prop, _lit(en, "en"))
        yield from self._provenance(
            s, self.rng.choice(("confirmed",) * 6 + ("reported", "inferred"))
        )

    def _date(self, year: int) -> str:
        return f"{year:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    # -- layers ----------------------------------------------------------------------------------

    def _publishers_and_sources(self) -> Iterator[ox.Triple]:
        n_sources = max(20, self.scale // 2000)
        publishers = [_iri(f"publisher/{i}") for i in range(max(5, n_sources // 20))]
        self.sources = [_iri(f"source/{i}") for i in range(n_sources)]
        for i, s in enumerate(self.sources):
            for t in (T["Document"], T["WebPage"]):
                yield ox.Triple(s, RDF_TYPE, t)
            yield self._t(s, "title", _lit(f"Synthetische Quelle {i}", "de"))
            yield self._t(s, "url", ox.NamedNode(f"https://example.org/source/{i}"))
            yield self._t(s, "publisher", publishers[i % len(publishers)])
            yield self._t(s, "language", LANG_DEU)
            yield self._t(s, "issued", _typed(self._date(2015 + i % 10), "date"))
        for i, p in enumerate(publishers):
            yield ox.Triple(p, RDF_TYPE, self._imo("Company"))
            for t in (T["FormalOrganization"], T["Organization"], T["SchemaOrg"]):
                yield ox.Triple(p, RDF_TYPE, t)
            yield self._t(p, "prefLabel", _lit(f"Verlag {i}"))
            yield self._t(p, "name", _lit(f"Verlag {i}"))
            yield from self._provenance(p)

    def _administrative_layer(self) -> Iterator[ox.Triple]:
        share = min(1.0, self.scale / FULL_SCALE)
        n_districts = max(LAENDER, round(DISTRICTS * share))
        n_municipalities = max(n_districts, round(MUNICIPALITIES * share))
        laender = [_iri(f"org/land/{k:02d}") for k in range(1, LAENDER + 1)]
        for k, land in enumerate(laender, 1):
            yield from self._org(land, "Land", f"Land {k:02d}", f"Land {k:02d}")
        districts = []
        for i in range(n_districts):
            land_no = i % LAENDER + 1
            key = f"{land_no:02d}{i // LAENDER % 10}{i // (LAENDER * 10):02d}"
            d = _iri(f"org/kreis/{key}")
            districts.append((d, key, laender[land_no - 1]))
            yield from self._org(d, "District", f"Landkreis {key}", f"District {key}")
            yield ox.Triple(d, self._imo("districtKey"), _lit(key))
            yield self._t(d, "identifier", _lit(key))
            yield ox.Triple(d, self._imo("withinLand"), laender[land_no - 1])
            yield self._t(d, "subOrganizationOf", laender[land_no - 1])
        for i in range(n_municipalities):
            d, key, land = districts[i % len(districts)]
            ags = f"{key}{i // len(districts) + 1:03d}"
            m = _iri(f"org/gemeinde/{ags}")
            yield from self._org(m, "Municipality", f"Gemeinde {ags}", f"Municipality {ags}")
            yield ox.Triple(m, self._imo("ags"), _lit(ags))
            yield self._t(m, "identifier", _lit(ags))
            yield ox.Triple(m, self._imo("withinLand"), land)
            yield self._t(m, "subOrganizationOf", d)
            if i % 40 == 0:
                self.bodies.append(m)
        self.bodies += laender + [d for d, _, _ in districts[::10]]

    def _federal_layer(self) -> Iterator[ox.Triple]:
        committee = _iri("org/committee")
        yield from self._org(committee, "InterministerialCommittee", "Ausschuss", "Committee")
        yield self._t(committee, "foundingDate", _typed("2021-08-25", "date"))
        ministries = [_iri(f"org/ministry/{i}") for i in range(16)]
        for i, m in enumerate(ministries):
            yield from self._org(m, "FederalMinistry", f"Bundesministerium {i}", f"Ministry {i}")
            for role in ("votingMember",) if i else ("chair", "votingMember"):
                ms = _iri(f"membership/ministry-{i}-{role}")
                yield ox.Triple(ms, RDF_TYPE, T["Membership"])
                yield self._t(ms, "member", m)
                yield self._t(ms, "organization", committee)
                yield self._t(ms, "role", self._imo(role))
                yield from self._provenance(ms)
                yield self._t(committee, "hasMembership", ms)
            yield self._t(m, "memberOf", committee)
        for i in range(max(20, self.scale // 10_000)):
            a = _iri(f"org/agency/{i}")
            yield from self._org(a, "FederalAuthority", f"Bundesamt {i}", f"Federal office {i}")
            yield self._t(a, "subOrganizationOf", ministries[i % 16])
            self.bodies.append(a)
        for i in range(max(20, self.scale // 5_000)):
            a = _iri(f"org/association/{i}")
            yield from self._org(a, "Association", f"Verband {i}", f"Association {i}", gov=False)
            self.bodies.append(a)
        self.bodies += [*ministries, committee]

    def _people(self) -> Iterator[ox.Triple]:
        for i in range(max(50, self.scale // 400)):
            p = _iri(f"person/{i}")
            self.people.append(p)
            yield ox.Triple(p, RDF_TYPE, T["Person"])
            yield ox.Triple(p, RDF_TYPE, T["SchemaPerson"])
            yield self._t(p, "foafName", _lit(f"Person {i}"))
            yield self._t(p, "name", _lit(f"Person {i}"))
            yield from self._provenance(p)
            ms = _iri(f"membership/person-{i}")
            yield ox.Triple(ms, RDF_TYPE, T["Membership"])
            yield self._t(ms, "member", p)
            yield self._t(ms, "organization", self.rng.choice(self.bodies))
            yield self._t(
                ms, "role", self._imo(self.rng.choice(("stateSecretary", "minister", "member")))
            )
            yield self._t(ms, "startDate", _typed(self._date(2015), "date"))
            yield self._t(ms, "endDate", _typed(self._date(2026), "date"))
            yield from self._provenance(ms)

    def _topics(self) -> Iterator[ox.Triple]:
        scheme = _iri("topics")
        yield ox.Triple(scheme, RDF_TYPE, T["ConceptScheme"])
        yield self._t(scheme, "prefLabel", _lit("Themen", "de"))
        yield self._t(scheme, "prefLabel", _lit("Topics", "en"))
        top = _iri("topic/0")
        yield self._t(scheme, "hasTopConcept", top)
        n = max(20, min(2_000, self.scale // 500))
        self.topics = [_iri(f"topic/{i}") for i in range(n)]
        children: dict[int, list[int]] = {}
        for i in range(1, n):
            children.setdefault((i - 1) // 8, []).append(i)
        for i, c in enumerate(self.topics):
            yield ox.Triple(c, RDF_TYPE, self._imo("Topic"))
            yield ox.Triple(c, RDF_TYPE, T["Concept"])
            yield self._t(c, "inScheme", scheme)
            yield self._t(c, "notation", _lit(f"T{i % 100:02d}"))
            yield self._t(c, "prefLabel", _lit(f"Thema {i}", "de"))
            yield self._t(c, "prefLabel", _lit(f"Topic {i}", "en"))
            yield self._t(c, "definition", _lit(f"Definition des Themas {i}.", "de"))
            yield self._t(c, "definition", _lit(f"Definition of topic {i}.", "en"))
            if i == 0:
                yield self._t(c, "topConceptOf", scheme)
            else:
                yield self._t(c, "broader", self.topics[(i - 1) // 8])
            for child in children.get(i, ()):
                yield self._t(c, "narrower", self.topics[child])
            yield from self._provenance(c)

    def _places_and_audiences(self) -> Iterator[ox.Triple]:
        for i in range(50):
            p = _iri(f"place/{i}")
            self.places.append(p)
            yield ox.Triple(p, RDF_TYPE, T["Place"])
            yield self._t(p, "name", _lit(f"Tagungsort {i}", "de"))
            yield from self._provenance(p)
        for i in range(10):
            a = _iri(f"audience/{i}")
            self.audiences.append(a)
            yield ox.Triple(a, RDF_TYPE, T["Audience"])
            yield self._t(a, "audienceType", _lit(f"Zielgruppe {i}", "de"))
            yield self._t(a, "audienceType", _lit(f"Audience {i}", "en"))
            yield from self._provenance(a)

    def _meetings(self) -> Iterator[ox.Triple]:
        kinds = ("CommitteeSession", "StakeholderMeeting", "NetworkMeeting")
        modes = ("offline", "online", "mixed")
        i = 0
        while self.count < self.scale:
            rng = self.rng
            m = _iri(f"meeting/{i}")
            year = 2010 + i % 16
            for t in (self._imo(kinds[i % 3]), self._imo("Meeting"), T["Event"], T["Activity"]):
                yield ox.Triple(m, RDF_TYPE, t)
            yield self._t(m, "name", _lit(f"Treffen {i}", "de"))
            yield self._t(m, "name", _lit(f"Meeting {i}", "en"))
            if i % 5 == 0:
                when = _typed(f"{year}-{i % 12 + 1:02d}", "gYearMonth")
                yield self._t(m, "startDate", when)
                yield ox.Triple(m, self._imo("datePrecision"), self._imo("monthPrecision"))
            else:
                day = self._date(year)
                when = _typed(day, "date")
                yield self._t(m, "startDate", _typed(f"{day}T09:30:00", "dateTime"))
                yield self._t(m, "endDate", _typed(f"{day}T16:30:00", "dateTime"))
                yield ox.Triple(m, self._imo("datePrecision"), self._imo("dayPrecision"))
            organizer, place = rng.choice(self.bodies), rng.choice(self.places)
            yield self._t(m, "organizer", organizer)
            yield self._t(m, "location", place)
            yield self._t(m, "attendanceMode", T[modes[i % 3]])
            yield self._t(m, "audience", rng.choice(self.audiences))
            topics = rng.sample(self.topics, 3)
            for topic in topics:
                yield self._t(m, "about", topic)
            yield from self._provenance(m, rng.choice(("confirmed", "confirmed", "reported")))
            for k in range(1, 5):
                item = _iri(f"meeting/{i}/item/{k}")
                yield ox.Triple(item, RDF_TYPE, self._imo("AgendaItem"))
                yield ox.Triple(item, RDF_TYPE, T["Event"])
                yield self._t(item, "name", _lit(f"Punkt {k}", "de"))
                yield self._t(item, "name", _lit(f"Item {k}", "en"))
                yield self._t(item, "superEvent", m)
                yield self._t(m, "subEvent", item)
                # an agenda item carries its meeting's date, place and organiser
                yield self._t(item, "startDate", when)
                yield self._t(item, "location", place)
                yield self._t(item, "organizer", organizer)
                yield self._t(
                    item, "position", ox.Literal(str(k), datatype=ox.NamedNode(XSD + "integer"))
                )
                yield self._t(item, "about", topics[k % 3])
                yield from self._provenance(item)
            agents = rng.sample(self.people, 2) + rng.sample(self.bodies, 3)
            for k, agent in enumerate(agents):
                part = _iri(f"meeting/{i}/participation/{k}")
                yield ox.Triple(part, RDF_TYPE, self._imo("Participation"))
                yield ox.Triple(part, RDF_TYPE, T["Association"])
                yield self._t(part, "agent", agent)
                yield self._t(
                    part, "hadRole", self._imo("openingSpeaker" if k == 0 else "presenter")
                )
                yield self._t(m, "qualifiedAssociation", part)
                yield self._t(m, "wasAssociatedWith", agent)
                yield from self._provenance(part)
            i += 1


def write_ntriples(path: Path, *, scale: int, seed: int = 1, namespace: str | None = None) -> int:
    """Write the synthetic graph as N-Triples (gzip when the name ends in .gz); returns triples.
    The ontology's ``namespace`` is the configured site's unless given."""
    if namespace is None:
        from .settings import Settings

        namespace = Settings.from_env().config.vocabulary.namespace
    gen = Generator(scale, seed, namespace=namespace)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as raw:
        out: IO[bytes] = raw  # type: ignore[assignment]
        ox.serialize(gen.triples(), out, format=ox.RdfFormat.N_TRIPLES)
    return gen.count
