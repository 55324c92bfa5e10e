"""imagraph: an open linked-data publisher."""

import logging

# rdflib logs a traceback for every literal whose lexical form is not valid for its datatype
# ("2026-02-30"^^xsd:date). Such values are ours to report, as validation results with a hint
# saying what to write (imagraph.validation.hint_for): the traceback is noise for a user.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)
