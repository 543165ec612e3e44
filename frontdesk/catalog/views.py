"""The catalogue in the app (role admin): organisations, queues, offices and case types.

Every save is a one-item catalogue document passed to `import_catalog`, so a page edit
gets exactly the import's validation (all or nothing, each error with its field) and its
audit event (`catalog.imported`); the JSON import and export stay as they were. Codes are
not renamed here: contacts, mandates and files refer to them.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from frontdesk.auth import roles_required
from frontdesk.catalog.operations import CatalogError, export_catalog, import_catalog
from frontdesk.extensions import db
from frontdesk.models import CaseType, Office, Organisation, Queue
from frontdesk.models.catalog import ORGANISATION_KINDS
from frontdesk.roles import Role

bp = Blueprint("catalog", __name__, url_prefix="/admin/katalog")


@dataclass(frozen=True)
class Field:
    name: str  # the key in the catalogue document
    label: str
    kind: str = "text"  # text, time, number, select, checkbox, textarea
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # the catalogue document's section
    title: str
    singular: str
    model: type
    fields: tuple[Field, ...]


CODE = Field("code", "Kod", hint="Versaler A–Z, siffror, _ och -. Kan inte ändras senare.")
SECTIONS = {
    "organisationer": Section(
        "organisations",
        "Organisationer",
        "organisation",
        Organisation,
        (CODE, Field("name", "Namn"), Field("kind", "Sort", "select")),
    ),
    "koer": Section(
        "queues",
        "Köer",
        "kö",
        Queue,
        (CODE, Field("name", "Namn"), Field("organisation", "Organisation", "select")),
    ),
    "kontor": Section(
        "offices",
        "Kontor",
        "kontor",
        Office,
        (
            CODE,
            Field("name", "Namn"),
            Field("opens", "Öppnar", "time", hint="Räknas in i remissernas svarstider."),
            Field("closes", "Stänger", "time"),
        ),
    ),
    "arendetyper": Section(
        "case_types",
        "Ärendetyper",
        "ärendetyp",
        CaseType,
        (
            CODE,
            Field("name", "Namn"),
            Field("organisation", "Ägare (organisation)", "select"),
            Field(
                "queue",
                "Kö för remisser",
                "select",
                required=False,
                hint="Tom: organisationens egen kö.",
            ),  # fmt: skip
            Field("category", "Kategori", required=False),
            Field("sla_hours", "Svarstid (arbetstimmar)", "number"),
            Field(
                "max_delegable_level",
                "Högsta nivå som får delegeras till kontoret",
                "number",
                required=False,
                hint="1–8 enligt ägarens delegationsordning. Tom: ingen gräns angiven "
                "(statliga myndigheters ärenden högst nivå 3).",
            ),  # fmt: skip
            Field("active", "Aktiv (visas i disken)", "checkbox", required=False),
            Field("guidance", "Vägledning: vad disken får svara", "textarea", required=False),
            Field(
                "guidance_links",
                "Länkar",
                "links",
                required=False,
                hint="En per rad: rubrik | https://adress",
            ),  # fmt: skip
            Field(
                "guidance_keywords",
                "Sökord",
                "keywords",
                required=False,
                hint="Ord som disken söker på, åtskilda med kommatecken.",
            ),  # fmt: skip
        ),
    ),
}


def _section(name: str) -> Section:
    section = SECTIONS.get(name)
    if section is None:
        abort(404)
    return section


def _current(section: Section, code: str) -> dict | None:
    """The item as the export writes it (the form's values), or None."""
    return next((i for i in export_catalog()[section.key] if i["code"] == code), None)


def _choices(section: Section) -> dict[str, list[tuple[str, str]]]:
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name))
    choices = {"organisation": [(o.code, f"{o.name} ({o.code})") for o in organisations]}
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.code))
    choices["queue"] = [("", "Organisationens egen kö")] + [
        (q.code, f"{q.name} ({q.code})") for q in queues
    ]
    choices["kind"] = [(kind, kind) for kind in ORGANISATION_KINDS]
    return choices


def _item_from_form(section: Section, code: str | None) -> dict:
    """The form as a catalogue item, typed as the import expects; the import checks it."""
    item: dict = {}
    for field in section.fields:
        if field.name == "code":
            item["code"] = code if code is not None else request.form.get("code", "").strip()
        elif field.kind == "checkbox":
            item[field.name] = request.form.get(field.name) == "on"
        elif field.kind == "keywords":
            words = request.form.get(field.name, "").split(",")
            item[field.name] = [word.strip() for word in words if word.strip()]
        elif field.kind == "links":
            item[field.name] = [
                _link(line)
                for line in request.form.get(field.name, "").splitlines()
                if line.strip()
            ]
        elif field.kind == "number":
            raw = request.form.get(field.name, "").strip()
            if not raw and not field.required:
                item[field.name] = None  # an optional number left empty clears it
            else:
                digits = raw.isascii() and raw.isdigit() and len(raw) < 9
                item[field.name] = int(raw) if digits else raw
        else:
            value = request.form.get(field.name, "")
            value = value if field.kind == "textarea" else value.strip()
            if value or field.required:
                item[field.name] = value
            elif field.name == "queue":
                item[field.name] = None
            else:
                item[field.name] = ""
    return item


def _link(line: str) -> dict:
    """ "Rubrik | https://…" as the catalogue's link; the import checks the address."""
    title, _, url = line.rpartition("|")
    return {"title": title.strip() or url.strip(), "url": url.strip()}


def form_text(field: Field, value) -> str:
    """A catalogue value as the form shows it (lists as lines or a comma list)."""
    if field.kind == "keywords":
        return ", ".join(value or [])
    if field.kind == "links":
        return "\n".join(f"{link['title']} | {link['url']}" for link in value or [])
    return "" if value is None else str(value)


def _field_errors(section: Section, errors: list[str]) -> tuple[dict[str, str], list[str]]:
    """The import's "case_types[0].sla_hours: …" lines per form field, and the rest."""
    prefix = f"{section.key}[0]."
    fields: dict[str, str] = {}
    other: list[str] = []
    for line in errors:
        place, _, message = line.partition(": ")
        if place.startswith(prefix):
            # "guidance_links[1].url" is the form's guidance_links field; say which part.
            within = place[len(prefix) :]
            name = within.split(".")[0].split("[")[0]
            fields.setdefault(name, message if within == name else f"{within}: {message}")
        else:
            other.append(line)
    return fields, other


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    return redirect(url_for("catalog.items", name="arendetyper"))


@bp.get("/<name>")
@roles_required(Role.ADMIN)
def items(name: str):
    """A section's items, with links to edit each and to add one."""
    section = _section(name)
    return render_template(
        "catalog/items.html",
        sections=SECTIONS,
        name=name,
        section=section,
        items=export_catalog()[section.key],
    )


@bp.route("/<name>/ny", methods=["GET", "POST"])
@bp.route("/<name>/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(name: str, code: str | None = None):
    """Create or change one item; saved through the catalogue import, all or nothing."""
    section = _section(name)
    current = _current(section, code) if code is not None else {"active": True}
    if current is None:
        abort(404)
    errors: dict[str, str] = {}
    other: list[str] = []
    values = current
    if request.method == "POST":
        values = _item_from_form(section, code)
        try:
            if code is None and _current(section, values["code"]) is not None:
                # A new item must not quietly change an existing one, as a re-import does.
                raise CatalogError([f"{section.key}[0].code: koden finns redan"])
            import_catalog({section.key: [values]}, g.user)
        except CatalogError as error:
            db.session.rollback()
            errors, other = _field_errors(section, error.errors)
        else:
            verb = "sparad" if code is not None else "skapad"
            flash(f"{section.singular.capitalize()} {values['code']} är {verb}.", "success")
            return redirect(url_for("catalog.items", name=name), 303)
    status = 422 if errors or other else 200
    return render_template(
        "catalog/edit.html",
        sections=SECTIONS,
        name=name,
        section=section,
        code=code,
        values=values,
        errors=errors,
        other_errors=other,
        choices=_choices(section),
        form_text=form_text,
    ), status
