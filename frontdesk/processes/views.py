"""Process map pages: list, view with diagram and analysis, editing, BPMN and event-log import."""

import networkx as nx
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices, office_to_show
from frontdesk.extensions import db
from frontdesk.guards import whole_number
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import CaseType
from frontdesk.processes.forms import (
    ACTOR_CHOICES,
    LEVEL_CHOICES,
    BpmnUploadForm,
    DiscoverForm,
    LanesForm,
    StepForm,
    StepsForm,
)
from frontdesk.processes.operations import (
    MapVersionConflict,
    StaleMap,
    edit_map,
    new_step_id,
    store_map,
)
from frontdesk.processes.queries import (
    graph_of,
    latest_map,
    map_version,
    versions,
)
from frontdesk.roles import MANAGER_ROLES
from frontdesk.web import as_download
from rosa import LEVELS
from rosa.bpmn import import_bpmn, write_bpmn
from rosa.diagram import LEVEL_COLOURS, render_svg
from rosa.discovery import discover
from rosa.processmap import (
    WORK_KINDS,
    ProcessMapError,
    Step,
    add_step,
    analyse,
    analyse_move,
    assign_lanes,
    build,
    flow_order,
    lanes,
    move_earlier,
    remove_step,
    steps_of,
    to_dict,
    update_step,
)

bp = Blueprint("processes", __name__, url_prefix="/processer")
ACTOR_LABELS = dict(ACTOR_CHOICES)


def _case_type(code: str) -> CaseType:
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
    if case_type is None:
        abort(404)
    return case_type


def _case_types() -> list[CaseType]:
    return db.session.scalars(sa.select(CaseType).order_by(CaseType.name)).all()


MAX_VERSION = 1_000_000


def _requested_map(case_type: CaseType):
    """The ?version=N asked for (404 when there is none), else the newest map or None."""
    raw = request.args.get("version")
    if raw is None:
        return latest_map(case_type)
    version = whole_number(raw, 1, MAX_VERSION)
    if version is None:
        abort(404)
    process_map = map_version(case_type, version)
    if process_map is None:
        abort(404)
    return process_map


def _back(case_type: CaseType):
    return redirect(url_for("processes.show", code=case_type.code), 303)


def _form_errors(form) -> str:
    return "; ".join(e for errors in form.errors.values() for e in errors)


@bp.get("/")
@roles_required(*MANAGER_ROLES)
def index():
    """Every case type with its newest map, and the import forms."""
    newest = dict(
        db.session.execute(
            sa.text("SELECT case_type_id, MAX(version) FROM process_maps GROUP BY case_type_id")
        ).all()
    )
    discover_form = DiscoverForm(formdata=None)
    return render_template(
        "processes/index.html",
        case_types=_case_types(),
        newest=newest,
        discover_form=discover_form,
    )


def _step_rows(graph, form: StepsForm | None) -> list[dict]:
    """The step table's rows in flow order: from the map, or as sent with their errors."""
    work = [n for n in flow_order(graph) if graph.nodes[n].get("kind") in WORK_KINDS]
    if form is None:
        return [{"id": node, **graph.nodes[node], "errors": {}} for node in work]
    rows = []
    for entry in form.rows:
        row = entry.form
        node = row.step.data
        attrs = graph.nodes[node] if node in graph else {}
        level = row.level.data
        rows.append(
            {
                **attrs,
                "id": node,
                "name": row.name.data,
                "level": int(level) if level and level.isdigit() else None,
                "actor": row.actor.data or None,
                # A refused number is shown as typed, so the guide can correct it.
                "minutes": row.minutes.data
                if row.minutes.data is not None
                else (row.minutes.raw_data or [None])[0],
                "errors": {name: errors[0] for name, errors in row.errors.items()},
            }
        )
    return rows


def _in_flow_order(graph) -> list:
    by_id = {step.id: step for step in steps_of(graph)}
    return [by_id[node] for node in flow_order(graph)]


def _show(case_type: CaseType, process_map, steps_form: StepsForm | None = None):
    """The map page; with `steps_form` the step table as sent, its errors at their rows."""
    office, _known = office_to_show(request.args.get("office"), g.user)
    current = mandate_level(office, case_type)
    raw_mandate = request.args.get("mandat", "")
    mandate = int(raw_mandate) if raw_mandate in {str(n) for n in range(1, 9)} else current
    context = dict(
        case_type=case_type,
        process_map=process_map,
        versions=versions(case_type),
        office=office,
        offices=all_offices(),
        current_mandate=current,
        mandate=mandate,
        levels=LEVELS,
        level_colours=LEVEL_COLOURS,
        level_choices=LEVEL_CHOICES,
        actor_choices=ACTOR_CHOICES,
        actor_labels=ACTOR_LABELS,
        upload_form=BpmnUploadForm(formdata=None),
        steps_errors=bool(steps_form and steps_form.errors),
    )
    if process_map is not None:
        graph = graph_of(process_map)
        latest = latest_map(case_type)
        context.update(
            graph=graph,
            steps=_in_flow_order(graph),
            step_rows=_step_rows(graph, steps_form),
            svg=render_svg(graph, f"Processkarta: {case_type.name}"),
            analysis=analyse(graph),
            move=analyse_move(graph, mandate),
            lane_names=lanes(graph),
            editable=latest is not None and latest.version == process_map.version,
        )
    return render_template("processes/show.html", **context)


@bp.get("/<code>")
@roles_required(*MANAGER_ROLES)
def show(code: str):
    """The map drawn as a diagram, its analysis under a mandate, and the step editor."""
    case_type = _case_type(code)
    return _show(case_type, _requested_map(case_type))


@bp.get("/<code>/bpmn")
@roles_required(*MANAGER_ROLES)
def download_bpmn(code: str):
    """The map as a BPMN 2.0 file with a front-office and a back-office lane."""
    case_type = _case_type(code)
    process_map = _requested_map(case_type)
    if process_map is None:
        abort(404)
    body = write_bpmn(graph_of(process_map), case_type.name)
    filename = f"{case_type.code}-v{process_map.version}.bpmn"
    return as_download(Response(body, mimetype="application/xml"), filename)


def _edit(case_type: CaseType, version: int, edit, note: str, *, may_create: bool = False):
    """Store one edit; flash what went wrong instead of failing the page."""
    try:
        edit_map(case_type, version, edit, g.user, note, may_create=may_create)
    except StaleMap as stale:
        flash(
            f"Kartan har ändrats av någon annan (nu version {stale.latest}). "
            "Sidan visar den senaste; gör ändringen igen.",
            "error",
        )
    except MapVersionConflict:
        flash("Någon sparade kartan samtidigt. Försök igen.", "error")
    except ProcessMapError as error:
        flash(f"Ändringen kunde inte sparas: {error.message}", "error")
    except nx.NetworkXError:  # a shape the edit functions did not foresee: refuse, don't fail
        flash("Ändringen kunde inte göras på kartans form.", "error")
    except NothingChanged:
        flash("Inga ändringar att spara.")
    else:
        flash("Kartan är sparad som en ny version.")
    return _back(case_type)


def _step_values(form) -> dict:
    """A step's values from a StepFields form (one step, or one row of the table)."""
    return {
        "name": form.name.data.strip(),
        "level": int(form.level.data) if form.level.data else None,
        "actor": form.actor.data or None,
        "minutes": form.minutes.data,
    }


@bp.post("/<code>/steg")
@roles_required(*MANAGER_ROLES)
def add(code: str):
    """Add a step after another one (or at the end); the first step starts a new map."""
    case_type = _case_type(code)
    form = StepForm()
    if not form.validate():
        flash(_form_errors(form), "error")
        return _back(case_type)
    values = _step_values(form)

    def edit(graph):
        new = Step(id=new_step_id(graph), **values)
        if graph is None:
            return build([new], [], name=case_type.name)
        return add_step(graph, new, after=form.after.data or None)

    return _edit(
        case_type, form.version.data, edit, f"La till steget {values['name']}", may_create=True
    )


class NothingChanged(Exception):
    """A save that would store the same map again."""


@bp.post("/<code>/steg/spara")
@roles_required(*MANAGER_ROLES)
def save_steps(code: str):
    """Save the whole step table at once (names, levels, actors, minutes), and move a step
    earlier or remove one if a row's button said so: one new version, all or nothing."""
    case_type = _case_type(code)
    form = StepsForm()
    if not form.validate():
        return _show(case_type, latest_map(case_type), form), 422
    rows = [(row.form.step.data, _step_values(row.form)) for row in form.rows]
    action, _, target = (form.action.data or "").partition(":")

    def edit(graph):
        before = to_dict(graph)
        for step_id, values in rows:
            graph = update_step(graph, step_id, **values)
        if action == "earlier":
            graph = move_earlier(graph, target)
        elif action == "remove":
            graph = remove_step(graph, target)
        if to_dict(graph) == before:
            raise NothingChanged
        return graph

    notes = {"earlier": "flyttade ett steg", "remove": "tog bort ett steg"}
    note = "Ändrade stegen" + (f", {notes[action]}" if action in notes else "")
    return _edit(case_type, form.version.data, edit, note)


@bp.post("/<code>/banor")
@roles_required(*MANAGER_ROLES)
def map_lanes(code: str):
    """Say which of the imported lanes are front office and which back office."""
    case_type = _case_type(code)
    form = LanesForm()
    names, actors = request.form.getlist("lane"), request.form.getlist("actor")
    if not form.validate() or len(names) != len(actors):
        flash(_form_errors(form) or "Banorna kunde inte läsas.", "error")
        return _back(case_type)
    mapping = {name: actor for name, actor in zip(names, actors, strict=True) if actor}
    return _edit(
        case_type,
        form.version.data,
        lambda graph: assign_lanes(graph, mapping),
        "Kopplade banor till främre och bakre ledet",
    )


def _store_new(case_type: CaseType, graph, source: str, note: str):
    try:
        process_map = store_map(case_type, graph, source, g.user, note)
    except MapVersionConflict:
        flash("Någon sparade kartan samtidigt. Försök igen.", "error")
        return _back(case_type)
    flash(f"Kartan är sparad som version {process_map.version}.")
    return _back(case_type)


@bp.post("/<code>/bpmn")
@roles_required(*MANAGER_ROLES)
def upload_bpmn(code: str):
    """Import a BPMN 2.0 file from a modelling tool as the map's next version."""
    case_type = _case_type(code)
    form = BpmnUploadForm()
    if not form.validate():
        flash(_form_errors(form), "error")
        return _back(case_type)
    upload = form.file.data
    try:
        imported = import_bpmn(upload.read(), form.process_id.data or None)
    except ProcessMapError as error:
        flash(f"BPMN-filen kunde inte läsas: {error}", "error")
        return _back(case_type)
    if imported.warnings:
        # What the import skipped, one message each, before the "saved" message.
        flash("Delar av filen kunde inte användas och hoppades över:", "warning")
        for warning in imported.warnings:
            flash(warning, "warning")
    return _store_new(
        case_type, imported.graph, "bpmn", f"Importerad från {upload.filename or 'BPMN'}"
    )


@bp.post("/upptack")
@roles_required(*MANAGER_ROLES)
def discover_map():
    """Discover a map from an event log and store it as the case type's next version."""
    form = DiscoverForm()
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == form.case_type.data))
    if not form.validate() or case_type is None:
        flash(_form_errors(form) or "Okänd ärendetyp.", "error")
        return redirect(url_for("processes.index"), 303)
    upload = form.file.data
    try:
        result = discover(upload.stream, filename=upload.filename or "")
    except ProcessMapError as error:
        flash(f"Händelseloggen kunde inte läsas: {error}", "error")
        return redirect(url_for("processes.index"), 303)
    if result.skipped_total:
        lines = ", ".join(str(line) for line, _ in result.skipped[:10])
        flash(f"{result.skipped_total} rader hoppades över (rad {lines}).", "error")
    note = f"Upptäckt ur {upload.filename or 'logg'}: {result.cases} ärenden, {result.events} händelser"
    return _store_new(case_type, result.graph, "logg", note)
