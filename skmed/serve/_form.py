"""The clinician's web form: one self-contained HTML page per model, built from its inputs.

Numeric fields show the training data's typical range (stored as rounded aggregate
percentiles, never one patient's value); categories are drop-downs, a symptom list is a
multi-select. The page posts one record to the model's predict endpoint and draws one bar per
class. No external assets (it works offline); every text is HTML-escaped, and the data the
script reads are JSON with ``<`` escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from skmed.serve._model import ServedModel

__all__ = ["render_form", "render_index"]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
.card{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:1rem 1.2rem;
margin-bottom:1rem}
.intended{border-left:4px solid #2680c2}
form .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.8rem 1.2rem}
label{display:block;font-weight:600;font-size:.9rem}
.hint{display:block;font-weight:400;color:#627d98;font-size:.8rem}
input,select{width:100%;box-sizing:border-box;padding:.35rem;border:1px solid #bcccdc;
border-radius:4px;font:inherit}
select[multiple]{min-height:6rem}
button{margin-top:1rem;padding:.5rem 1.4rem;font:inherit;font-weight:600;color:#fff;
background:#2680c2;border:0;border-radius:4px;cursor:pointer}
.bar{display:grid;grid-template-columns:10rem 1fr 4.5rem;align-items:center;gap:.6rem;
margin:.3rem 0}
.track{background:#e4e7eb;border-radius:3px;height:1.1rem}
.fill{background:#2680c2;height:100%;border-radius:3px}
.bar.chosen .fill{background:#c63737}
.decision{font-size:1.1rem;font-weight:700;margin:.2rem 0 .2rem}
.rule{color:#444;font-size:.9rem;margin:0 0 .6rem}
.error{color:#ab091e;font-weight:600}
.field-warning{color:#8a4b00;font-size:.85rem;margin:.2rem 0 0}
.warnings{color:#8a4b00;margin:.4rem 0}
"""

_SCRIPT = r"""
(function () {
  const model = JSON.parse(document.getElementById("skmed-model").textContent);
  const form = document.getElementById("patient");
  const out = document.getElementById("results");
  function record() {
    const rec = {};
    for (const input of model.inputs) {
      const el = form.elements[input.name];
      if (!el) continue;
      if (input.role === "symptoms") {
        rec[input.name] = Array.from(el.selectedOptions).map(o => o.value);
      } else if (el.value === "") {
        rec[input.name] = null;
      } else if (input.kind === "bool") {
        rec[input.name] = el.value === "true";
      } else if (["double", "float", "int64"].includes(input.kind)) {
        rec[input.name] = Number(el.value);
      } else {
        rec[input.name] = el.value;
      }
    }
    return rec;
  }
  function clearWarnings() {
    for (const el of form.querySelectorAll(".field-warning")) {
      el.textContent = "";
      el.hidden = true;
      delete el.dataset.kind;
    }
  }
  function showWarnings(warnings) {
    // next to each field, and listed with the answer: what the prediction rests on
    if (!warnings || warnings.length === 0) return;
    const list = document.createElement("ul");
    list.className = "warnings";
    list.id = "warnings";
    for (const w of warnings) {
      const el = document.getElementById("w-" + w.column);
      if (el) {
        el.textContent = w.message;
        el.hidden = false;
        el.dataset.kind = w.kind;
      }
      const item = document.createElement("li");
      item.textContent = w.message;
      list.appendChild(item);
    }
    out.appendChild(list);
  }
  function show(answer) {
    out.replaceChildren();
    const p = answer.predictions[0];
    const head = document.createElement("p");
    head.className = "decision";
    head.id = "decision";
    head.textContent = "Decision: " + String(p.label);
    out.appendChild(head);
    const rule = document.createElement("p");
    rule.className = "rule";
    rule.id = "decision-rule";
    rule.textContent = "Rule: " + model.decision.description;
    out.appendChild(rule);
    showWarnings(p.warnings);
    for (const key of Object.keys(p.probabilities)) {
      const value = p.probabilities[key];
      const row = document.createElement("div");
      row.className = "bar" + (key === String(p.label) ? " chosen" : "");
      row.dataset.class = key;
      row.dataset.probability = String(value);
      const name = document.createElement("span");
      name.textContent = key;
      const track = document.createElement("div");
      track.className = "track";
      const fill = document.createElement("div");
      fill.className = "fill";
      fill.style.width = (100 * value).toFixed(1) + "%";
      track.appendChild(fill);
      const text = document.createElement("span");
      text.textContent = (100 * value).toFixed(1) + " %";
      row.append(name, track, text);
      out.appendChild(row);
    }
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const headers = {"Content-Type": "application/json"};
    const token = document.getElementById("token");
    if (token && token.value) headers["Authorization"] = "Bearer " + token.value;
    out.textContent = "…";
    clearWarnings();
    try {
      const reply = await fetch(model.api, {method: "POST", headers: headers,
        body: JSON.stringify({records: [record()]})});
      const answer = await reply.json();
      if (!reply.ok) {
        out.replaceChildren();
        const err = document.createElement("p");
        err.className = "error";
        err.id = "error";
        err.textContent = answer.error ? answer.error.message : ("HTTP " + reply.status);
        out.appendChild(err);
        return;
      }
      show(answer);
    } catch (e) {
      out.textContent = "The server did not answer: " + e;
    }
  });
})();
"""


#: Only this page's own inline style and script, and requests to this server.
_CSP = "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _field(model: ServedModel, spec: Any) -> str:
    name = spec.name
    field = model.fields.get(name)
    optional = model.optional(name)
    required = "" if optional else " required"
    hint = ""
    if field is not None and field.role == "unused":
        return ""
    if field is not None and field.role == "symptoms":
        options = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in field.symptoms or [])
        size = min(8, max(3, len(field.symptoms or [])))
        control = (
            f'<select id="f-{_e(name)}" name="{_e(name)}" multiple size="{size}">{options}</select>'
        )
        hint = "Select all that apply (Ctrl/Cmd-click)."
    elif field is not None and field.categories is not None:
        blank = '<option value="">(not recorded)</option>' if optional else ""
        options = "".join(f'<option value="{_e(c)}">{_e(c)}</option>' for c in field.categories)
        control = f'<select id="f-{_e(name)}" name="{_e(name)}"{required}>{blank}{options}</select>'
    elif spec.kind == "bool":
        control = (
            f'<select id="f-{_e(name)}" name="{_e(name)}" required>'
            '<option value="false">no</option><option value="true">yes</option></select>'
        )
    elif spec.kind == "string":
        control = f'<input id="f-{_e(name)}" name="{_e(name)}" type="text"{required}>'
    else:
        step = "1" if spec.kind == "int64" else "any"
        typical = field.typical_range() if field is not None else None
        placeholder = f"{typical[0]:g} – {typical[1]:g}" if typical else ""
        if typical:
            hint = f"Typical: {typical[0]:g} to {typical[1]:g}"
        control = (
            f'<input id="f-{_e(name)}" name="{_e(name)}" type="number" step="{step}" '
            f'placeholder="{_e(placeholder)}"{required}>'
        )
    if optional and not (field is not None and field.role == "symptoms"):
        hint = (hint + "; " if hint else "") + "may be left empty"
    note = model.card_notes.get(name)
    if note is not None and note.has_range:
        hint = (hint + "; " if hint else "") + f"plausible: {note.range_text()}"
    hint_html = f'<span class="hint">{_e(hint)}</span>' if hint else ""
    label = note.title(name) if note is not None and (note.label or note.unit) else name
    # filled by the page's script with the answer's warning for this field
    warning = f'<p class="field-warning" id="w-{_e(name)}" hidden></p>'
    return f'<div><label for="f-{_e(name)}">{_e(label)}{hint_html}</label>{control}{warning}</div>'


def render_form(model: ServedModel, api: str, *, auth: bool) -> str:
    """The form page of ``model``, posting to ``api``."""
    data = {
        "api": api,
        "inputs": [
            {
                "name": spec.name,
                "kind": spec.kind,
                "role": getattr(model.fields.get(spec.name), "role", None),
            }
            for spec in model.schema.inputs
        ],
        "decision": {
            "threshold": model.decision.threshold,
            "pos_label": model.decision.pos_label,
            "description": model.decision.describe(),
        },
    }
    card = model.model_card if isinstance(model.model_card, dict) else {}
    title = str(card.get("model_name") or model.name)
    intended = card.get("intended_use") or ""
    users = card.get("intended_users") or ""
    card_html = ""
    if intended or users:
        card_html = (
            '<section class="card intended" id="intended-use"><h2>Intended use</h2>'
            f"<p>{_e(intended)}</p>"
            + (f"<p><strong>Intended users:</strong> {_e(users)}</p>" if users else "")
            + "</section>"
        )
    token = (
        '<div><label for="token">Access token<span class="hint">sent with each request, '
        'never stored</span></label><input id="token" type="password" autocomplete="off"></div>'
        if auth
        else ""
    )
    if model.schema.layout == "matrix":
        fields = "<p>This model takes a numeric matrix; use the API.</p>"
    else:
        fields = "".join(_field(model, spec) for spec in model.schema.inputs)
    script_data = json.dumps(data).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{_e(title)} · skmed</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
{card_html}
<form id="patient" class="card" autocomplete="off"><div class="grid">{token}{fields}</div>
<button type="submit" id="predict">Predict</button></form>
<section class="card"><h2>Prediction</h2><div id="results" aria-live="polite">
<p class="hint">Fill in the patient's values and press Predict.</p></div></section>
<p class="hint">Model file sha256 {_e(model.sha256[:16])}…
· classes {_e(", ".join(model.class_keys))}</p>
</main>
<script type="application/json" id="skmed-model">{script_data}</script>
<script>{_SCRIPT}</script>
</body></html>"""


def render_index(models: Sequence[ServedModel]) -> str:
    """The page listing several models, each linking to its form."""
    items = "".join(
        f'<li><a href="/models/{_e(m.name)}/">{_e(m.name)}</a> '
        f'<span class="hint">{_e(", ".join(m.class_keys))}</span></li>'
        for m in models
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>skmed models</title>
<style>{_CSS}</style></head><body><main><h1>Models</h1>
<ul class="card">{items}</ul></main></body></html>"""
