// The query page: an editor with SPARQL highlighting and completion of our terms (CodeMirror,
// served from here: nothing is fetched from elsewhere), and a query too long for an address sent
// by POST (the page answers the same). Short queries stay in the address (GET), to be shared.
// Without JavaScript the plain text area works as before.
"use strict";

const KEYWORDS = [
  "SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "VALUES",
  "BIND", "AS", "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "ASK", "CONSTRUCT",
  "DESCRIBE", "PREFIX", "COUNT", "SAMPLE", "GROUP_CONCAT", "LANG", "STR", "CONTAINS",
  "LCASE", "REGEX", "EXISTS", "NOT EXISTS", "ASC", "DESC", "a",
];

function completions() {
  const data = JSON.parse(document.getElementById("completions").textContent);
  const prefixes = Object.keys(data.prefixes).map((p) => p + ":");
  return { words: [...KEYWORDS, ...prefixes, ...data.terms], prefixes: data.prefixes };
}

// What completes the word before the cursor: our terms (ex:Meeting, schema:startDate …), the
// predeclared prefixes and the keywords, those starting with what is typed first.
function hint(editor, known) {
  const cursor = editor.getCursor();
  const line = editor.getLine(cursor.line);
  let start = cursor.ch;
  while (start > 0 && /[\w:.-]/.test(line.charAt(start - 1))) start -= 1;
  const typed = line.slice(start, cursor.ch);
  if (!typed) return null;
  const lower = typed.toLowerCase();
  const list = known.words.filter((w) => w.toLowerCase().startsWith(lower) && w !== typed);
  return {
    list: list.slice(0, 50),
    from: CodeMirror.Pos(cursor.line, start),
    to: CodeMirror.Pos(cursor.line, cursor.ch),
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.query[data-long]");
  if (!form) return;
  const area = form.querySelector("textarea");
  let editor = null;
  if (window.CodeMirror && area) {
    const known = completions();
    editor = CodeMirror.fromTextArea(area, {
      mode: "application/sparql-query",
      lineNumbers: true,
      extraKeys: { "Ctrl-Space": "autocomplete", "Ctrl-Enter": () => form.requestSubmit() },
      hintOptions: { hint: (cm) => hint(cm, known), completeSingle: false },
    });
    // offer completions as a prefixed name is typed (after "ex:", "schema:s" …)
    editor.on("inputRead", (cm, change) => {
      if (change.origin === "+input" && /[\w:]/.test(change.text.join(""))) {
        const cursor = cm.getCursor();
        const before = cm.getLine(cursor.line).slice(0, cursor.ch);
        if (/[A-Za-z][\w.-]*:[\w.-]*$/.test(before)) cm.showHint();
      }
    });
    area.editor = editor;
  }
  form.addEventListener("submit", () => {
    if (editor) editor.save();
    const sent = new URLSearchParams(new FormData(form)).toString();
    form.method = sent.length > Number(form.dataset.long) ? "post" : "get";
  });
});
