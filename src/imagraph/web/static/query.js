// The query page: a query too long for an address is sent by POST (the page answers the same).
// Short queries stay in the address (GET), so that the page can be shared.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.query[data-long]");
  if (!form) return;
  form.addEventListener("submit", () => {
    const sent = new URLSearchParams(new FormData(form)).toString();
    form.method = sent.length > Number(form.dataset.long) ? "post" : "get";
  });
});
