"""A pytest plugin (``-p tests.more_formats``) that adds two rows to the table of formats before
anything else of imagraph is imported, as a new format would be added: an RDF format and a SPARQL
results format, each written by a writer pyoxigraph has. ``tests/test_formats.py`` runs itself
with it to show that a new format is one row."""

from __future__ import annotations

import pyoxigraph as ox

from imagraph import formats

NEW_RDF = formats.Format(
    "n-triples-x",
    "application/x-n-triples-test",
    ("ntx",),
    ox.RdfFormat.N_TRIPLES,
    "N-Triples-X",
    file_type="RDF_N_TRIPLES",
    dump=True,
)
NEW_RESULTS = formats.ResultsFormat(
    "tsv-x",
    "text/x-tsv-test",
    ("tsvx",),
    ox.QueryResultsFormat.TSV,
    "SPARQL_Results_TSV_X",
)

formats.FORMATS = (*formats.FORMATS, NEW_RDF, NEW_RESULTS)
