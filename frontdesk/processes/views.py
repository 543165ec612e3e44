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
    StepActionForm,
    StepForm,
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
    ProcessMapError,
    Step,
    add_step,
    analyse,
    analyse_move,
    assign_lanes,
    build,
    lanes,
    move_earlier,
    remove_step,
    steps_of,
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


@bp.get("/<code>")
@roles_required(*MANAGER_ROLES)
def show(code: str):
    """The map drawn as a diagram, its analysis under a mandate, and the step editor."""
    case_type = _case_type(code)
    process_map = _requested_map(case_type)
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
    )
    if process_map is not None:
        graph = graph_of(process_map)
        latest = latest_map(case_type)
        context.update(
            graph=graph,
            steps=steps_of(graph),
            svg=render_svg(graph, f"Processkarta: {case_type.name}"),
            analysis=analyse(graph),
            move=analyse_move(graph, mandate),
            lane_names=lanes(graph),
            editable=latest is not None and latest.version == process_map.version,
        )
    return render_template("processes/show.html", **context)


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
    else:
        flash("Kartan är sparad som en ny version.")
    return _back(case_type)


def _step_values(form: StepForm) -> dict:
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


@bp.post("/<code>/steg/andra")
@roles_required(*MANAGER_ROLES)
def change(code: str):
    """Rename, relevel a step or set its actor and minutes."""
    case_type = _case_type(code)
    form = StepForm()
    if not form.validate() or not form.step.data:
        flash(_form_errors(form) or "Välj ett steg.", "error")
        return _back(case_type)
    values = _step_values(form)
    return _edit(
        case_type,
        form.version.data,
        lambda graph: update_step(graph, form.step.data, **values),
        f"Ändrade steget {values['name']}",
    )


def _step_action(code: str, action, note: str):
    """Move or remove the step the form names, on the version the form was made from."""
    case_type = _case_type(code)
    form = StepActionForm()
    if not form.validate():
        flash(_form_errors(form), "error")
        return _back(case_type)
    return _edit(case_type, form.version.data, lambda graph: action(graph, form.step.data), note)


@bp.post("/<code>/steg/tidigare")
@roles_required(*MANAGER_ROLES)
def earlier(code: str):
    """Move a step one place earlier in its sequence."""
    return _step_action(code, move_earlier, "Flyttade ett steg")


@bp.post("/<code>/steg/ta-bort")
@roles_required(*MANAGER_ROLES)
def remove(code: str):
    """Remove a step; the steps before and after it are joined."""
    return _step_action(code, remove_step, "Tog bort ett steg")


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
