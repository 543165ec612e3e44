"""Process maps for the demo: one routine case type whose start belongs at the desk, one
assessment-heavy one where it does not, and a building permit with lanes as a tool draws it."""

MAPS = {
    "BYGGLOV": {
        "name": "Bygglov",
        "steps": [
            {
                "id": "fraga",
                "name": "Svara på frågor om regler",
                "level": 1,
                "actor": "front",
                "minutes": 5,
            },
            {
                "id": "vagleda",
                "name": "Vägleda i e-tjänsten",
                "level": 2,
                "actor": "front",
                "minutes": 10,
            },
            {"id": "ta-emot", "name": "Ta emot ansökan", "level": 3, "actor": "back", "minutes": 8},
            {
                "id": "komplett",
                "name": "Kontrollera att ansökan är komplett",
                "level": 3,
                "actor": "back",
                "minutes": 15,
            },
            {
                "id": "begara",
                "name": "Begära komplettering",
                "level": 3,
                "actor": "back",
                "minutes": 10,
            },
            {
                "id": "granska",
                "name": "Granska mot detaljplan",
                "level": 6,
                "actor": "back",
                "minutes": 120,
            },
            {"id": "beslut", "name": "Fatta beslut", "level": 6, "actor": "back", "minutes": 30},
            {
                "id": "expediera",
                "name": "Skicka beslut och kungöra",
                "level": 3,
                "actor": "back",
                "minutes": 15,
            },
        ],
        "flows": [
            {"from": "fraga", "to": "vagleda", "share": 1.0},
            {"from": "vagleda", "to": "ta-emot", "share": 1.0},
            {"from": "ta-emot", "to": "komplett", "share": 1.0},
            {"from": "komplett", "to": "granska", "share": 0.6},
            {"from": "komplett", "to": "begara", "share": 0.4},
            {"from": "begara", "to": "komplett", "share": 1.0},
            {"from": "granska", "to": "beslut", "share": 1.0},
            {"from": "beslut", "to": "expediera", "share": 1.0},
        ],
    },
    "BOPARK": {
        "name": "Boendeparkering",
        "steps": [
            {
                "id": "info",
                "name": "Informera om zoner och avgift",
                "level": 1,
                "actor": "front",
                "minutes": 3,
            },
            {
                "id": "ansok",
                "name": "Hjälpa med ansökan",
                "level": 2,
                "actor": "front",
                "minutes": 6,
            },
            {
                "id": "kontroll",
                "name": "Kontrollera folkbokföring och fordon",
                "level": 3,
                "actor": "back",
                "minutes": 6,
            },
            {
                "id": "beslut",
                "name": "Besluta enligt regler",
                "level": 4,
                "actor": "back",
                "minutes": 5,
            },
            {"id": "kort", "name": "Skicka tillstånd", "level": 3, "actor": "back", "minutes": 3},
        ],
        "flows": [
            {"from": "info", "to": "ansok"},
            {"from": "ansok", "to": "kontroll"},
            {"from": "kontroll", "to": "beslut"},
            {"from": "beslut", "to": "kort"},
        ],
    },
    "EKB": {
        "name": "Ekonomiskt bistånd",
        "steps": [
            {
                "id": "info",
                "name": "Informera om rätten till bistånd",
                "level": 1,
                "actor": "front",
                "minutes": 5,
            },
            {
                "id": "boka",
                "name": "Boka tid hos mottagningen",
                "level": 3,
                "actor": "front",
                "minutes": 5,
            },
            {"id": "utreda", "name": "Utreda behov", "level": 6, "actor": "back", "minutes": 90},
            {
                "id": "beslut",
                "name": "Besluta om bistånd",
                "level": 6,
                "actor": "back",
                "minutes": 30,
            },
            {
                "id": "utbetala",
                "name": "Registrera utbetalning",
                "level": 3,
                "actor": "back",
                "minutes": 10,
            },
        ],
        "flows": [
            {"from": "info", "to": "boka"},
            {"from": "boka", "to": "utreda"},
            {"from": "utreda", "to": "beslut"},
            {"from": "beslut", "to": "utbetala"},
        ],
    },
}
