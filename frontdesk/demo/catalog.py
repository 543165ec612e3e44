"""A realistic catalogue for a mid-sized Swedish municipality (in the import format)."""

from frontdesk.roles import Role

ORGANISATIONS = [
    {"code": "KS", "name": "Kommunledningsförvaltningen", "kind": "kommun"},
    {"code": "SBF", "name": "Samhällsbyggnadsförvaltningen", "kind": "kommun"},
    {"code": "TEK", "name": "Tekniska förvaltningen", "kind": "kommun"},
    {"code": "SOC", "name": "Socialförvaltningen", "kind": "kommun"},
    {"code": "BUF", "name": "Barn- och utbildningsförvaltningen", "kind": "kommun"},
    {"code": "KFF", "name": "Kultur- och fritidsförvaltningen", "kind": "kommun"},
    {"code": "FK", "name": "Försäkringskassan", "kind": "stat"},
    {"code": "SKV", "name": "Skatteverket", "kind": "stat"},
    {"code": "PM", "name": "Pensionsmyndigheten", "kind": "stat"},
]

QUEUES = [
    {"code": "SBF-BYGG", "name": "Bygglovsenheten", "organisation": "SBF"},
    {"code": "SBF-MILJO", "name": "Miljö- och hälsoskydd", "organisation": "SBF"},
    {"code": "TEK-GATA", "name": "Gata och park", "organisation": "TEK"},
    {"code": "TEK-VA", "name": "Vatten och avfall", "organisation": "TEK"},
    {"code": "SOC-EKB", "name": "Ekonomiskt bistånd", "organisation": "SOC"},
    {"code": "SOC-AO", "name": "Äldreomsorg och LSS", "organisation": "SOC"},
    {"code": "BUF-ANT", "name": "Antagning och placering", "organisation": "BUF"},
]

OFFICES = [
    {"code": "K1", "name": "Medborgarkontoret Centrum"},
    {"code": "K2", "name": "Medborgarkontoret Norra"},
]

_L = "Läs mer och ansök på kommunens webbplats: https://www.example-kommun.se/"


def _ct(code, name, org, category, sla, guidance, queue=None):
    item = {
        "code": code,
        "name": name,
        "organisation": org,
        "category": category,
        "sla_hours": sla,
        "guidance": guidance,
    }
    if queue:
        item["queue"] = queue
    return item


CASE_TYPES = [
    _ct(
        "PARK",
        "Parkeringstillstånd för rörelsehindrade",
        "TEK",
        "Trafik och parkering",
        72,
        "Disken får informera om kriterier och hjälpa till med ansökan och läkarintyg. "
        "Beslut fattas av Tekniska förvaltningen. " + _L + "parkeringstillstand",
        "TEK-GATA",
    ),
    _ct(
        "BOPARK",
        "Boendeparkering",
        "TEK",
        "Trafik och parkering",
        48,
        "Disken får ta emot ansökan och kontrollera folkbokföringsadress. "
        + _L
        + "boendeparkering",
        "TEK-GATA",
    ),
    _ct(
        "FELANM",
        "Felanmälan gata och park",
        "TEK",
        "Gata och park",
        24,
        "Registrera platsen så exakt som möjligt (adress, lyktstolpens nummer). "
        "Akuta fel på vägen: ring driftjouren 020-00 00 00.",
        "TEK-GATA",
    ),
    _ct(
        "SNOW",
        "Snöröjning och halkbekämpning",
        "TEK",
        "Gata och park",
        24,
        "Informera om prioriteringsordningen: huvudgator och gång- och cykelvägar först.",
        "TEK-GATA",
    ),
    _ct(
        "AVFALL",
        "Sophämtning och abonnemang",
        "TEK",
        "Vatten och avfall",
        48,
        "Disken får ändra hämtningsintervall och kärlstorlek enligt taxan. "
        "Uppehåll i hämtning kräver ansökan.",
        "TEK-VA",
    ),
    _ct(
        "VA",
        "Vatten och avlopp",
        "TEK",
        "Vatten och avfall",
        48,
        "Vattenläcka eller vattenavbrott: hänvisa till driftstörningar på webben. "
        "Frågor om VA-taxan får disken svara på.",
        "TEK-VA",
    ),
    _ct(
        "BYGGLOV",
        "Bygglov",
        "SBF",
        "Bygga och bo",
        120,
        "Disken får förklara när bygglov krävs, visa e-tjänsten och kontrollera att ansökan "
        "är komplett. Bedömning av ärendet görs av bygglovshandläggare. " + _L + "bygglov",
        "SBF-BYGG",
    ),
    _ct(
        "ATTEFALL",
        "Attefallsåtgärder och anmälan",
        "SBF",
        "Bygga och bo",
        120,
        "Informera om reglerna för attefallshus (30 kvm) och hur anmälan görs.",
        "SBF-BYGG",
    ),
    _ct(
        "STRAND",
        "Strandskyddsdispens",
        "SBF",
        "Bygga och bo",
        240,
        "Informera om strandskyddet och ansökningsblanketten; all bedömning görs av handläggare.",
        "SBF-BYGG",
    ),
    _ct(
        "KARTA",
        "Kartor och nybyggnadskarta",
        "SBF",
        "Bygga och bo",
        72,
        "Disken får beställa nybyggnadskarta och sälja utdrag ur baskartan enligt taxa.",
        "SBF-BYGG",
    ),
    _ct(
        "LIVSM",
        "Livsmedelsregistrering",
        "SBF",
        "Miljö och hälsa",
        120,
        "Informera om registrering av livsmedelsanläggning och avgifter.",
        "SBF-MILJO",
    ),
    _ct(
        "BULLER",
        "Klagomål buller och störningar",
        "SBF",
        "Miljö och hälsa",
        72,
        "Registrera klagomålet med adress och tidpunkter. Hyresgäster hänvisas först till "
        "hyresvärden.",
        "SBF-MILJO",
    ),
    _ct(
        "ENSKAV",
        "Enskilt avlopp",
        "SBF",
        "Miljö och hälsa",
        240,
        "Informera om tillståndsplikt och blankett för enskild avloppsanläggning.",
        "SBF-MILJO",
    ),
    _ct(
        "EKB",
        "Ekonomiskt bistånd",
        "SOC",
        "Stöd och omsorg",
        48,
        "Disken får informera om hur man ansöker och boka tid hos mottagningen. "
        "Bedömning av rätt till bistånd görs alltid av socialsekreterare (nivå 6).",
        "SOC-EKB",
    ),
    _ct(
        "SKULD",
        "Budget- och skuldrådgivning",
        "SOC",
        "Stöd och omsorg",
        72,
        "Boka tid hos budget- och skuldrådgivaren; disken får ge allmän budgetvägledning.",
        "SOC-EKB",
    ),
    _ct(
        "HEMTJ",
        "Hemtjänst",
        "SOC",
        "Stöd och omsorg",
        72,
        "Informera om hemtjänst och hur ansökan går till. Biståndsbedömning görs av "
        "biståndshandläggare.",
        "SOC-AO",
    ),
    _ct(
        "FARDT",
        "Färdtjänst",
        "SOC",
        "Stöd och omsorg",
        120,
        "Disken får lämna ut och ta emot ansökan och kontrollera att läkarintyg finns.",
        "SOC-AO",
    ),
    _ct(
        "BOSTAD",
        "Bostadsanpassningsbidrag",
        "SOC",
        "Stöd och omsorg",
        240,
        "Informera om bidraget och hjälp till med ansökan och intyg.",
        "SOC-AO",
    ),
    _ct(
        "LSS",
        "Insatser enligt LSS",
        "SOC",
        "Stöd och omsorg",
        120,
        "Allmän information om LSS-insatser; alla frågor om enskilda ärenden går till handläggare.",
        "SOC-AO",
    ),
    _ct(
        "FSKOLA",
        "Förskoleplats",
        "BUF",
        "Förskola och skola",
        72,
        "Disken får hjälpa till med ansökan i e-tjänsten och informera om kötider och placering.",
        "BUF-ANT",
    ),
    _ct(
        "SKOLVAL",
        "Skolval och skolplacering",
        "BUF",
        "Förskola och skola",
        120,
        "Informera om skolvalet och tidsfristerna.",
        "BUF-ANT",
    ),
    _ct(
        "MAXT",
        "Maxtaxa och avgifter förskola",
        "BUF",
        "Förskola och skola",
        72,
        "Disken får förklara maxtaxan och hjälpa till att anmäla ändrad inkomst.",
        "BUF-ANT",
    ),
    _ct(
        "SKOLSK",
        "Skolskjuts",
        "BUF",
        "Förskola och skola",
        120,
        "Informera om reglerna för skolskjuts och avståndsgränserna.",
        "BUF-ANT",
    ),
    _ct(
        "FRITIDS",
        "Fritidshem",
        "BUF",
        "Förskola och skola",
        72,
        "Hjälp med ansökan och uppsägning av fritidshemsplats.",
        "BUF-ANT",
    ),
    _ct(
        "BIBL",
        "Bibliotek och lånekort",
        "KFF",
        "Kultur och fritid",
        48,
        "Disken får utfärda lånekort och informera om öppettider.",
    ),
    _ct(
        "LOKAL",
        "Lokalbokning",
        "KFF",
        "Kultur och fritid",
        48,
        "Disken får boka idrottshallar och samlingslokaler i bokningssystemet.",
    ),
    _ct(
        "FORENB",
        "Föreningsbidrag",
        "KFF",
        "Kultur och fritid",
        240,
        "Informera om bidragsformerna och ansökningsdatumen.",
    ),
    _ct(
        "KULTSK",
        "Kulturskolan",
        "KFF",
        "Kultur och fritid",
        72,
        "Hjälp med anmälan till kulturskolans kurser och information om avgifter.",
    ),
    _ct(
        "ALLMINFO",
        "Allmän information om kommunen",
        "KS",
        "Kommunen",
        48,
        "Öppettider, adresser, kontaktuppgifter, kommunens organisation.",
    ),
    _ct(
        "HANDL",
        "Allmänna handlingar och diarium",
        "KS",
        "Kommunen",
        24,
        "Begäran om allmän handling ska behandlas skyndsamt. Registrera och skicka vidare "
        "samma dag.",
    ),
    _ct(
        "SYNP",
        "Synpunkter och klagomål",
        "KS",
        "Kommunen",
        120,
        "Registrera synpunkten; den som lämnat den får svar från berörd förvaltning.",
    ),
    _ct(
        "VAL",
        "Val och röstning",
        "KS",
        "Kommunen",
        24,
        "Informera om förtidsröstning, röstkort och vallokaler. Under valperioder: "
        "hänvisa frågor om röstlängd till valmyndigheten.",
    ),
    _ct(
        "BOSTADSKO",
        "Bostadskö och bostadsfrågor",
        "KS",
        "Bygga och bo",
        72,
        "Informera om kommunens bostadskö och hyresvärdar.",
    ),
    _ct(
        "SERV",
        "Serveringstillstånd",
        "KS",
        "Tillstånd",
        240,
        "Informera om ansökan om serveringstillstånd och kunskapsprov.",
    ),
    _ct(
        "FKBARN",
        "Föräldrapenning och barnbidrag",
        "FK",
        "Försäkringskassan",
        72,
        "Vägled i Försäkringskassans e-tjänster och Mina sidor. Beslut fattas av "
        "Försäkringskassan.",
    ),
    _ct(
        "FKSJUK",
        "Sjukpenning",
        "FK",
        "Försäkringskassan",
        72,
        "Hjälp med att anmäla sjukdom och läsa beslut; ärendefrågor går till Försäkringskassan.",
    ),
    _ct(
        "FKBOST",
        "Bostadsbidrag",
        "FK",
        "Försäkringskassan",
        72,
        "Hjälp med ansökan om bostadsbidrag i e-tjänsten.",
    ),
    _ct(
        "FKUH",
        "Underhållsstöd",
        "FK",
        "Försäkringskassan",
        72,
        "Vägledning om underhållsstöd och blanketter.",
    ),
    _ct(
        "SKVFOLK",
        "Folkbokföring och flytt",
        "SKV",
        "Skatteverket",
        72,
        "Disken får ta emot flyttanmälan och kontrollera id-handling.",
    ),
    _ct(
        "SKVID",
        "Id-kort",
        "SKV",
        "Skatteverket",
        120,
        "Informera om ansökan om id-kort och boka tid på servicekontor.",
    ),
    _ct(
        "SKVDEKL",
        "Deklaration och skattefrågor",
        "SKV",
        "Skatteverket",
        72,
        "Hjälp med inloggning och e-tjänsten; skattebedömningar görs av Skatteverket.",
    ),
    _ct(
        "PMPENS",
        "Pension och bostadstillägg",
        "PM",
        "Pensionsmyndigheten",
        72,
        "Vägled i pensionsansökan och bostadstillägg för pensionärer.",
    ),
    _ct(
        "PMAP",
        "Ålderspension, uttag",
        "PM",
        "Pensionsmyndigheten",
        72,
        "Hjälp att ansöka om uttag av ålderspension i e-tjänsten.",
    ),
    _ct(
        "FORMYND",
        "Överförmyndare och god man",
        "KS",
        "Kommunen",
        120,
        "Informera om gode mäns uppdrag och årsräkningens datum.",
    ),
]

# Mandates already agreed beyond the default of 2 (the office's "uppdrag").
# Further reading and the words citizens use, for the counter's guidance search.
_K = "https://www.example-kommun.se/"
_GUIDANCE = {
    "PARK": (
        [("Parkeringstillstånd för personer med funktionsnedsättning", _K + "parkeringstillstand")],
        ["p-tillstånd", "handikapparkering", "rullstol", "läkarintyg"],
    ),
    "SNOW": (
        [("Snöröjning – så prioriterar kommunen", _K + "snorojning")],
        ["snö", "halka", "sandning", "plogning"],
    ),
    "AVFALL": (
        [("Sophämtning och abonnemang", _K + "avfall")],
        ["sopor", "soptunna", "återvinning", "grovsopor", "matavfall"],
    ),
    "BYGGLOV": (
        [
            ("Bygglov – när behövs det?", _K + "bygglov"),
            (
                "Boverket: Bygglov",
                "https://www.boverket.se/sv/PBL-kunskapsbanken/lov--byggande/bygglov/",
            ),
        ],
        ["tillbyggnad", "garage", "altan", "plank", "fasad"],
    ),
    "EKB": (
        [("Ekonomiskt bistånd", _K + "ekonomiskt-bistand")],
        ["försörjningsstöd", "socialbidrag", "hyra", "nödprövning"],
    ),
    "FARDT": (
        [("Färdtjänst och riksfärdtjänst", _K + "fardtjanst")],
        ["taxi", "resor", "riksfärdtjänst", "rullstol"],
    ),
    "FSKOLA": (
        [("Ansök om förskoleplats", _K + "forskola")],
        ["dagis", "barnomsorg", "kö", "placering"],
    ),
    "FKBARN": (
        [
            (
                "Försäkringskassan: Föräldrapenning",
                "https://www.forsakringskassan.se/privatperson/foralder/foraldrapenning",
            ),
            (
                "Försäkringskassan: Barnbidrag",
                "https://www.forsakringskassan.se/privatperson/foralder/barnbidrag",
            ),
        ],
        ["föräldraledighet", "vab", "flerbarnstillägg", "barnbidrag"],
    ),
    "FKSJUK": (
        [
            (
                "Försäkringskassan: Sjukpenning",
                "https://www.forsakringskassan.se/privatperson/sjuk/anstalld/sjukpenning",
            )
        ],
        ["sjukskriven", "sjukskrivning", "läkarintyg", "karensavdrag"],
    ),
    "FKBOST": (
        [
            (
                "Försäkringskassan: Bostadsbidrag",
                "https://www.forsakringskassan.se/privatperson/barnfamiljer/bostadsbidrag",
            )
        ],
        ["hyra", "bidrag", "barnfamilj", "ungdom"],
    ),
    "SKVFOLK": (
        [
            (
                "Skatteverket: Flytta inom Sverige",
                "https://www.skatteverket.se/privat/folkbokforing/flyttainomsverige",
            )
        ],
        ["flytt", "adressändring", "folkbokföring", "personbevis"],
    ),
    "SKVID": (
        [("Skatteverket: Id-kort", "https://www.skatteverket.se/privat/folkbokforing/idkort")],
        ["legitimation", "identitetskort", "id-handling"],
    ),
    "PMPENS": (
        [
            (
                "Pensionsmyndigheten: Bostadstillägg",
                "https://www.pensionsmyndigheten.se/forsta-dina-pensioner/bostadstillagg/bostadstillagg",
            )
        ],
        ["pensionär", "bostadstillägg", "garantipension", "äldreförsörjningsstöd"],
    ),
}
for _item in CASE_TYPES:
    if _item["code"] in _GUIDANCE:
        _links, _keywords = _GUIDANCE[_item["code"]]
        _item["guidance_links"] = [{"title": t, "url": u} for t, u in _links]
        _item["guidance_keywords"] = _keywords

# The social services' delegation order: decisions on assistance (myndighetsutövning under
# SoL and LSS) stay with the social welfare board's officers; the desk informs, guides and
# routes. The state agencies' case types need no entry: they are capped at 3 by rule.
DELEGATION = {"EKB": 3, "HEMTJ": 3, "LSS": 2}
for _item in CASE_TYPES:
    if _item["code"] in DELEGATION:
        _item["max_delegable_level"] = DELEGATION[_item["code"]]

MANDATES = [
    {"office": "K1", "case_type": "PARK", "max_level": 3},
    {"office": "K1", "case_type": "BOPARK", "max_level": 4},
    {"office": "K1", "case_type": "AVFALL", "max_level": 4},
    {"office": "K1", "case_type": "BIBL", "max_level": 4},
    {"office": "K1", "case_type": "LOKAL", "max_level": 4},
    {"office": "K1", "case_type": "KARTA", "max_level": 4},
    {"office": "K1", "case_type": "FSKOLA", "max_level": 3},
    {"office": "K1", "case_type": "HANDL", "max_level": 3},
    {"office": "K1", "case_type": "SKVFOLK", "max_level": 3},
    {"office": "K2", "case_type": "BIBL", "max_level": 4},
    {"office": "K2", "case_type": "AVFALL", "max_level": 3},
    {"office": "K2", "case_type": "FELANM", "max_level": 3},
    {"office": "K2", "case_type": "EKB", "max_level": 1},
]

CATALOG = {
    "organisations": ORGANISATIONS,
    "queues": QUEUES,
    "offices": OFFICES,
    "case_types": CASE_TYPES,
    "mandates": [dict(m, reason="Överenskommelse vid start") for m in MANDATES],
}

# username, display name, role, office, organisation. The password is the username + "123"
# in the demo only (see README).
USERS = [
    ("anna", "Anna Lindqvist", Role.VAGLEDARE, "K1", None),
    ("omar", "Omar Haddad", Role.VAGLEDARE, "K1", None),
    ("sara", "Sara Nyström", Role.VAGLEDARE, "K1", None),
    ("johan", "Johan Berg", Role.VAGLEDARE, "K2", None),
    ("leila", "Leila Karimi", Role.VAGLEDARE, "K2", None),
    ("erik", "Erik Sandberg", Role.HANDLAGGARE, None, "SBF"),
    ("maria", "Maria Ek", Role.HANDLAGGARE, None, "SOC"),
    ("peter", "Peter Holm", Role.HANDLAGGARE, None, "TEK"),
    ("karin", "Karin Åberg", Role.CHEF, "K1", None),
    ("admin", "Systemadministratör", Role.ADMIN, None, None),
]
