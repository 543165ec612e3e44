"""Every page of every role in a real browser: axe-core, the Content-Security-Policy, the keyboard.

One server and one browser for the module, one login per role. Each page is checked for
serious and critical WCAG 2.1 A/AA problems (axe-core), for markup the CSP forbids (inline
scripts and styles, handler attributes, javascript: URLs) and for the browser refusing
anything under the CSP; and it is walked with the Tab key: every link, button, field and
summary must receive focus, and show it. Then one whole task per role by keyboard only.
Screenshots of the pages land in test-artifacts/a11y-*.png.
"""

import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import PASSWORD, TEST_CATALOG, make_app
from tests.helpers import serving
from tests.test_browser import axe_violations, shot

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 900}
LANDING = {"vagledare": "/disk", "handlaggare": "/remisser/", "chef": "/disk", "admin": "/disk"}
USERNAMES = {"vagledare": "anna", "handlaggare": "erik", "chef": "karin", "admin": "admin"}

BPMN_WITH_LANES = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<process id="P" name="Barnbidrag">
  <laneSet id="LS">
    <lane id="L1" name="Kundcenter"><flowNodeRef>A</flowNodeRef></lane>
    <lane id="L2" name="Handl\xc3\xa4ggning"><flowNodeRef>B</flowNodeRef></lane>
  </laneSet>
  <startEvent id="S" /><task id="A" name="Ta emot ans\xc3\xb6kan" />
  <task id="B" name="Besluta" /><endEvent id="E" />
  <sequenceFlow id="F1" sourceRef="S" targetRef="A" />
  <sequenceFlow id="F2" sourceRef="A" targetRef="B" />
  <sequenceFlow id="F3" sourceRef="B" targetRef="E" />
</process>
</definitions>"""

# Runs in every page before its own scripts (Playwright injects it outside the page's CSP):
# records each element that receives focus, and whether a focus indicator shows on it.
FOCUS_PROBE = """
(() => {
  let next = 0;
  const keyOf = (el) => {
    if (el.type === "radio" && el.name) {
      const form = el.form ? [...document.forms].indexOf(el.form) : -1;
      return "radio:" + form + ":" + el.name;  // a radio group is one Tab stop
    }
    if (!el.__a11yKey) el.__a11yKey = "el" + (++next);
    return el.__a11yKey;
  };
  const describe = (el) => {
    const text = (el.getAttribute("aria-label") || el.textContent || el.value || "")
      .replace(/\\s+/g, " ").trim().slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.name ? "[name=" + el.name + "]" : "") + (text ? " '" + text + "'" : "");
  };
  const ring = (el) => {
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0
      && cs.outlineColor !== "rgba(0, 0, 0, 0)";
    // SVG elements do not paint box-shadow, only the outline counts for them.
    const shadow = !(el instanceof SVGElement) && cs.boxShadow !== "none";
    return outline || shadow;
  };
  const invisible = (el) => {
    const r = el.getBoundingClientRect();
    return getComputedStyle(el).opacity === "0" || r.width < 2 || r.height < 2;
  };
  // A custom control hides its input and shows the focus on what the user sees: its label.
  const shown = (el) => {
    if (!invisible(el)) return ring(el);
    const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
    return !!label && (ring(label) || [...label.querySelectorAll("*")].some(ring));
  };
  const tabbable = () => {
    const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, "
      + "[tabindex]";
    return [...document.querySelectorAll(selector)].filter((el) =>
      !el.disabled && el.tabIndex >= 0 && !el.closest("[inert]")
      && el.checkVisibility({visibilityProperty: true})
    );
  };
  window.__a11y = {
    log: [],
    candidates: () => {
      const seen = new Map();
      tabbable().forEach((el) => { if (!seen.has(keyOf(el))) seen.set(keyOf(el), describe(el)); });
      return [...seen.entries()];
    },
    focused: () => {
      const el = document.activeElement;
      return el && el !== document.body ? {key: keyOf(el), what: describe(el)} : null;
    },
    shown: () => document.activeElement ? shown(document.activeElement) : false,
  };
  document.addEventListener("focusin", (event) => {
    const el = event.target;
    window.__a11y.log.push({key: keyOf(el), what: describe(el), shown: shown(el)});
  }, true);
})();
"""

# What the CSP forbids in the markup itself (the browser reports a handler only once it runs).
FORBIDDEN_MARKUP = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name) || attr.name === "style" || attr.name.startsWith("hx-on")) {
        found.push(el.tagName.toLowerCase() + "[" + attr.name + "]");
      }
      if (/^\\s*javascript:/i.test(attr.value)) found.push(el.tagName.toLowerCase() + " javascript:");
    }
  }
  document.querySelectorAll("style").forEach(() => found.push("<style>"));
  document.querySelectorAll("script:not([src])").forEach((s) => {
    if (s.type !== "application/json") found.push("inline <script>");
  });
  return found;
}"""

CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


@dataclass
class Site:
    app: object
    base: str
    ids: dict


@dataclass
class Session:
    """One logged-in browser tab, with what its console said since the last check."""

    page: object
    console: list = field(default_factory=list)

    def take_console(self) -> list[str]:
        messages, self.console[:] = list(self.console), []
        return messages


def _seed(app) -> dict:
    """The test municipality, a user per role, history, referrals in every state, inbox, maps."""
    from frontdesk.backoffice import operations as backoffice
    from frontdesk.catalog import import_catalog
    from frontdesk.counter.operations import ContactInput, log_contact
    from frontdesk.extensions import db
    from frontdesk.inbox.operations import ask_question, register_letter
    from frontdesk.models import CaseType, Office, Organisation, Referral, User
    from frontdesk.processes.operations import store_map
    from frontdesk.timeutil import local_today, utcnow
    from rosa.processmap import Flow, Step, build

    with app.app_context():
        import_catalog(TEST_CATALOG)
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        users = {}
        for role, username in USERNAMES.items():
            user = User(
                username=username,
                display_name=username.title(),
                role=role,
                office=k1 if role in ("vagledare", "chef") else None,
                organisation=tek if role == "handlaggare" else None,
            )
            user.set_password(PASSWORD)
            db.session.add(user)
            users[role] = user
        db.session.flush()
        anna, erik = users["vagledare"], users["handlaggare"]
        types = {ct.code: ct for ct in db.session.scalars(sa.select(CaseType))}

        def contact(code, level, days_ago=None, channel="telefon"):
            when = None if days_ago is None else utcnow() - timedelta(days=days_ago)
            data = ContactInput(
                office=k1,
                channel=channel,
                case_type=types[code],
                rosa_level=level,
                duration_seconds=300,
                occurred_at=when,
                # Who to reach and the question, so the pages show them (issue 13).
                citizen_name="Sven Ek",
                citizen_phone="+46701234567",
                citizen_email="sven@example.se" if level > 4 else "",
                question="Kan kortet skickas hem i stället för att hämtas?",
            )
            return log_contact(data, anna)

        spec = {("PARK", 1): 6, ("PARK", 2): 8, ("PARK", 4): 4, ("PARK", 5): 3}
        spec |= {("EKB", 2): 2, ("EKB", 3): 2, ("EKB", 6): 3, ("FKBARN", 1): 3}
        referred = []
        for (code, level), n in spec.items():
            for i in range(n):
                logged = contact(
                    code, level, days_ago=3 + i * 7, channel=("telefon", "besok")[i % 2]
                )
                if code == "PARK" and logged.referral_id:
                    referred.append(db.session.get(Referral, logged.referral_id))
        # Today at the desk: one answered (Anna may still change it), one referred.
        answered_today = contact("PARK", 1)
        referred_today = contact("PARK", 5)

        pagar, vantar, aterford, avslutad, ny, overdue = referred[:6]
        for referral in (pagar, vantar, aterford, avslutad):
            backoffice.claim(referral, erik)
        backoffice.park(vantar, erik, local_today() + timedelta(days=7), "Intyg från läkare")
        backoffice.answer(
            aterford,
            erik,
            "Beviljat, kortet kommer med posten.",
            backoffice.AnswerDelivery.CALLBACK,
        )
        backoffice.answer(
            avslutad, erik, "Beviljat och meddelat per brev.", backoffice.AnswerDelivery.CLOSE
        )
        overdue.due_at = utcnow() - timedelta(hours=3)

        question = ask_question(
            k1, "Var hämtar jag mitt parkeringstillstånd?", "eva@example.se", "Trafik", "x", 5
        )
        register_letter(
            k1, "Per Persson", "Bygglov", "Hej, när kommer beslutet?", local_today(), anna
        )

        steps = [
            Step(id="s1", name="Ta emot ansökan", level=1, actor="front", minutes=5),
            Step(id="s2", name="Kontrollera underlag", level=3, actor="back", minutes=10),
            Step(id="s3", name="Besluta enligt regler", level=4, actor="back", minutes=15),
        ]
        flows = [Flow("s1", "s2"), Flow("s2", "s3")]
        store_map(types["PARK"], build(steps[:2], flows[:1], name="Parkering"), "manuell", None)
        store_map(types["PARK"], build(steps, flows, name="Parkering"), "manuell", None)
        db.session.commit()
        ids = {
            "edit_contact": answered_today.id,
            "message": question.id,
            "ny": ny.id,
            "pagar": pagar.id,
            "vantar": vantar.id,
            "aterford": aterford.id,
            "avslutad": avslutad.id,
            "overdue": overdue.id,
            "handler_task": referred_today.referral_id,
        }
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("a11y") / "a11y.sqlite3"
    shutil.copy(sqlite_template, path)
    # Long polls: a refresh in the middle of a Tab walk would only test the walk's timing.
    app = make_app(
        f"sqlite:///{path}",
        COUNTER_POLL_SECONDS=600,
        QUEUE_POLL_SECONDS=600,
        PUBLIC_FORM_OFFICE="K1",
    )
    ids = _seed(app)
    with serving(app) as base:
        yield Site(app, base, ids)


def _open(browser, **options) -> Session:
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE", **options)
    context.add_init_script(FOCUS_PROBE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    session = Session(page)
    page.on("console", lambda message: session.console.append(message.text))
    page.on("pageerror", lambda error: session.console.append(f"Refused to run: {error}"))
    return session


@pytest.fixture(scope="module")
def sessions(site, playwright_browser):
    """A logged-in tab per role, made on first use (logging in with the keyboard)."""
    opened: dict[str, Session] = {}

    def get(role: str) -> Session:
        if role not in opened:
            session = _open(playwright_browser)
            if role != "anonym":
                _login(session.page, site.base, USERNAMES[role], LANDING[role])
            opened[role] = session
        return opened[role]

    yield get
    for session in opened.values():
        session.page.context.close()


def _login(page, base, username, lands_on):
    page.goto(f"{base}/login")
    expect(page.locator("[name=username]")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{lands_on}")


def walk_with_tab(page) -> list[str]:
    """Tab through the whole page; what did not get focus, or got it without showing it."""
    page.evaluate("window.__a11y.log = []")
    candidates = dict(page.evaluate("window.__a11y.candidates()"))
    # One press per stop and a few for the way round (from an autofocused field in the middle,
    # through the end of the page, back to its start); more only while something is missing.
    presses, pressed, limit = len(candidates) + 3, 0, 2 * len(candidates) + 10
    while True:
        for _ in range(presses):
            page.keyboard.press("Tab")
        pressed += presses
        log = page.evaluate("window.__a11y.log")
        reached = {entry["key"] for entry in log}
        missing = [what for key, what in candidates.items() if key not in reached]
        if not missing or pressed >= limit:
            break
        presses = len(candidates)
    problems = [f"never focused: {what}" for what in missing]
    problems += sorted({f"focus not visible: {e['what']}" for e in log if not e["shown"]})
    return problems


def check_page(session: Session, url: str, *, status: int = 200, walk: bool = True) -> list[str]:
    """axe, CSP markup and console, and (when asked) the Tab walk on the page at `url`."""
    page = session.page
    session.take_console()
    if url:
        response = page.goto(url)
        if response.status != status:
            return [f"status {response.status}, expected {status}"]
        csp = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in csp or "style-src 'self'" not in csp:
            return [f"no strict Content-Security-Policy header: {csp!r}"]
    # The markup first: axe and screenshots leave empty style attributes on what they touch.
    problems = [f"CSP forbids {what}" for what in page.evaluate(FORBIDDEN_MARKUP)]
    problems += [f"axe {v}" for v in axe_violations(page)]
    if walk:
        problems += walk_with_tab(page)
    problems += [f"console: {m}" for m in session.take_console() if CSP_MESSAGE.search(m)]
    return problems


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"


def check_all(session: Session, base: str, role: str, pages: list[tuple]) -> dict[str, list[str]]:
    failures = {}
    for path, status, walk in pages:
        problems = check_page(session, f"{base}{path}", status=status, walk=walk)
        if walk:  # a picture of each page once is enough to look at
            shot(session.page, f"a11y-{role}-{_name(path)}.png")
        if problems:
            failures[path] = problems
    return failures


def test_anonymous_pages(site, sessions):
    session = sessions("anonym")
    pages = [("/login", 200, True), ("/kontakta-oss", 200, True), ("/finns-inte", 404, True)]
    assert check_all(session, site.base, "anonym", pages) == {}


def test_guide_pages(site, sessions):
    ids = site.ids
    pages = [
        ("/disk", 200, True),
        (f"/disk/kontakter/{ids['edit_contact']}/andra", 200, True),
        ("/inkorg/", 200, True),
        (f"/inkorg/{ids['message']}", 200, True),
        ("/inkorg/brev", 200, True),
        ("/remisser/", 200, False),
        (f"/remisser/{ids['aterford']}", 200, False),
        ("/mandat/", 200, False),
        ("/konto/losenord", 200, True),
        ("/oversikt/", 403, True),
        ("/remisser/999999", 404, False),
    ]
    assert check_all(sessions("vagledare"), site.base, "vagledare", pages) == {}


def test_handler_pages(site, sessions):
    ids = site.ids
    pages = [("/remisser/", 200, True), ("/mandat/", 200, True), ("/disk", 403, False)]
    pages += [
        (f"/remisser/{ids[state]}", 200, True)
        for state in ("ny", "pagar", "vantar", "aterford", "avslutad", "overdue")
    ]
    assert check_all(sessions("handlaggare"), site.base, "handlaggare", pages) == {}


MANAGER_PAGES = [
    "/disk",
    "/inkorg/",
    "/remisser/",
    "/mandat/",
    "/oversikt/",
    "/oversikt/timmar",
    "/oversikt/forsta-kontakten",
    "/oversikt/remisser",
    "/oversikt/remisser/lista",
    "/oversikt/uppdrag",
    "/oversikt/kontakter",
    "/rosa/trappan",
    "/rosa/rekommendationer",
    "/rosa/vad-om",
    "/processer/",
    "/processer/PARK",
    "/processer/PARK?version=1",
    "/processer/EKB",
    "/kanaler/",
]


def test_manager_pages(site, sessions):
    session = sessions("chef")
    pages = [(path, 200, path not in ("/disk", "/inkorg/")) for path in MANAGER_PAGES]
    pages.append((f"/inkorg/{site.ids['message']}", 200, False))
    failures = check_all(session, site.base, "chef", pages)

    # Upload a BPMN file with lanes: the map's page then asks which lane is which.
    page = session.page
    page.goto(f"{site.base}/processer/FKBARN")
    page.set_input_files(
        "#import-heading ~ form input[type=file]",
        files=[{"name": "barn.bpmn", "mimeType": "application/xml", "buffer": BPMN_WITH_LANES}],
    )
    page.locator("#import-heading ~ form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.locator("#lanes-heading").wait_for()
    problems = check_page(session, "")
    shot(page, "a11y-chef-processer-uppladdad.png")
    if problems:
        failures["/processer/FKBARN (uppladdad)"] = problems
    assert failures == {}


def test_admin_pages(site, sessions):
    pages = [(path, 200, path == "/disk") for path in MANAGER_PAGES]
    pages.append((f"/remisser/{site.ids['pagar']}", 200, False))
    pages += [("/admin/anvandare", 200, True), ("/admin/anvandare/ny", 200, True)]
    pages += [("/admin/logg", 200, True), ("/admin/logg?kind=allt", 422, False)]
    pages += [
        ("/admin/katalog/arendetyper", 200, True),
        ("/admin/katalog/arendetyper/PARK", 200, True),
    ]
    assert check_all(sessions("admin"), site.base, "admin", pages) == {}


def test_the_keyboard_checks_can_fail(sessions):
    """Guard for the walk: a control behind a Tab trap and a button without a focus ring."""
    page = sessions("anonym").page
    page.goto("about:blank")  # no CSP there: the fixture needs its own style and script
    page.set_content(
        '<html lang="sv"><head><title>t</title></head><body><main>'
        '<button id="plain">Vanlig</button><button id="bare">Utan ring</button>'
        '<input id="trap" aria-label="Fälla"><a href="#bortom">Bortom fällan</a>'
        "<style>#bare:focus-visible { outline: none; box-shadow: none; }</style>"
        "<script>document.getElementById('trap').addEventListener('keydown', e => {"
        " if (e.key === 'Tab') e.preventDefault(); });</script></main></body></html>"
    )
    page.evaluate(FOCUS_PROBE)
    problems = walk_with_tab(page)
    assert "focus not visible: button#bare 'Utan ring'" in problems
    assert "never focused: a 'Bortom fällan'" in problems
    assert not any("#plain" in problem for problem in problems)


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has focus, and see that it shows it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate("window.__a11y.shown()"), f"focus not visible on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def _referral_status(site, referral_id) -> str:
    from frontdesk.extensions import db
    from frontdesk.models import Referral

    with site.app.app_context():
        status = db.session.get(Referral, referral_id).status
        db.session.remove()
    return status


def test_guide_logs_a_contact_and_calls_back_by_keyboard(site, sessions):
    session = sessions("vagledare")
    page = session.page
    page.goto(f"{site.base}/disk")
    expect(page.locator("#case_type")).to_be_focused()
    page.keyboard.press("Alt+t")
    page.keyboard.type("ekon")
    page.locator("#case-type-options li").first.wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("2")
    page.keyboard.press("Tab")  # the note, then the minutes; Enter sends from there
    page.keyboard.type("Frågade om blanketten")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.locator("#decision .decision-answered").wait_for()
    row = page.locator("#today tr", has_text="Frågade om blanketten")
    row.wait_for()
    assert "Telefon" in row.inner_text()
    contact_id = row.get_attribute("id").removeprefix("contact-")

    # Flag it as a repeat contact: the list refreshes and the focus stays on the button.
    tab_to(page, f"#contact-{contact_id}-repeat")
    page.keyboard.press("Enter")
    page.locator(f"#contact-{contact_id}-repeat", has_text="Ej upprepad").wait_for()
    assert page.evaluate("document.activeElement.id") == f"contact-{contact_id}-repeat"

    # The back office's answer: call the citizen, then mark it done.
    page.goto(f"{site.base}/disk")
    tab_to(page, f"#callback-{site.ids['aterford']}-done")
    page.keyboard.press("Enter")
    page.locator("#callbacks", has_text="Inga svar väntar på återkoppling.").wait_for()
    assert _referral_status(site, site.ids["aterford"]) == "avslutad"
    assert check_page(session, "", walk=False) == []


def test_handler_claims_and_answers_a_referral_by_keyboard(site, sessions):
    session = sessions("handlaggare")
    page = session.page
    referral_id = site.ids["handler_task"]
    page.goto(f"{site.base}/remisser/")
    tab_to(page, f"#referral-{referral_id}-link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/remisser/{referral_id}")
    tab_to(page, "form[action$='/ta'] button")
    page.keyboard.press("Enter")
    page.locator(".flash", has_text="Remissen är din.").wait_for()
    tab_to(page, "#answer")
    page.keyboard.type("Tillståndet är beviljat, kortet skickas med post.")
    page.keyboard.press("Tab")  # the radio group of where the answer goes: "the desk calls back"
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == [
        "delivery",
        "callback",
    ]
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".flash", has_text="Svaret är skickat till disken").wait_for()
    assert _referral_status(site, referral_id) == "aterford"
    assert check_page(session, "", walk=False) == []
    shot(page, "a11y-handlaggare-besvarad.png")


def test_manager_changes_a_mandate_and_approves_a_proposal_by_keyboard(site, sessions):
    session = sessions("chef")
    page = session.page
    page.goto(f"{site.base}/disk")
    tab_to(page, "header nav a[href='/mandat/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/mandat/")
    tab_to(page, "#lvl-FKBARN")
    page.keyboard.press("ArrowDown")  # 2 -> 3
    page.keyboard.press("Tab")
    page.keyboard.type("Avtal med Försäkringskassan")
    page.keyboard.press("Enter")
    page.locator("#mandate-FKBARN td.num", has_text="3").wait_for()

    tab_to(page, "header nav a[href='/rosa/trappan']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/rosa/trappan")
    tab_to(page, "nav.subnav a[href='/rosa/rekommendationer']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/rosa/rekommendationer")
    tab_to(page, "#proposal-PARK input[value=approve]")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Rutinbeslut enligt avtal med TEK")
    page.keyboard.press("Enter")
    page.locator(".flash", has_text="har nu mandat 4").wait_for()
    assert check_page(session, "", walk=False) == []
    shot(page, "a11y-chef-godkand.png")


def test_citizen_sends_the_web_form_by_keyboard(site, sessions):
    session = sessions("anonym")
    page = session.page
    page.goto(f"{site.base}/kontakta-oss")
    tab_to(page, "#topic")
    page.keyboard.press("ArrowDown")  # the first topic
    assert page.evaluate("document.activeElement.value") != ""
    page.keyboard.press("Tab")
    page.keyboard.type("När får jag svar om mitt bygglov?")
    page.keyboard.press("Tab")
    page.keyboard.type("eva@example.se")
    page.keyboard.press("Tab")  # past the hidden trap field, straight to the button
    assert page.evaluate("document.activeElement.textContent") == "Skicka frågan"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/kontakta-oss/tack")
    assert page.locator("#receipt").inner_text().startswith("W-")
    assert check_page(session, "") == []
    shot(page, "a11y-anonym-kvitto.png")


def test_keyboard_focus_survives_the_lists_refreshing(site, sessions):
    """The queue and the day's contacts refresh every few seconds; a keyboard user keeps
    their place in them instead of being thrown back to the top of the page."""
    config = site.app.config
    saved = config["QUEUE_POLL_SECONDS"], config["COUNTER_POLL_SECONDS"]
    config["QUEUE_POLL_SECONDS"] = config["COUNTER_POLL_SECONDS"] = 1
    referral, contact = site.ids["ny"], site.ids["edit_contact"]
    try:
        for role, path, link, refresh in (
            ("handlaggare", "/remisser/", f"a[href='/remisser/{referral}']", "/remisser/"),
            ("vagledare", "/disk", f"a[href='/disk/kontakter/{contact}/andra']", "/idag"),
        ):
            page = sessions(role).page
            page.goto(f"{site.base}{path}")
            tab_to(page, link)
            page.evaluate("document.activeElement.dataset.before = 'refresh'")
            for _ in range(2):
                with page.expect_response(lambda r, end=refresh: r.url.split("?")[0].endswith(end)):
                    pass
            # The link was replaced by the refreshed list's own, and that one has the focus.
            expect(page.locator(f"{link}:not([data-before])")).to_be_focused(timeout=3_000)
    finally:
        config["QUEUE_POLL_SECONDS"], config["COUNTER_POLL_SECONDS"] = saved
