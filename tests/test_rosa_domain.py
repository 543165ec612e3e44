"""The rosa package on its own: process maps, the staircase, recommendations and what-if."""

import networkx as nx
import pytest

from rosa.processmap import (
    ProcessMapError,
    Step,
    add_step,
    analyse,
    analyse_move,
    assign_lanes,
    from_dict,
    handoffs,
    most_common_path,
    move_earlier,
    remove_step,
    to_dict,
    update_step,
)
from rosa.recommend import PairHistory, propose, rank, what_if
from rosa.staircase import staircase

# Parking permit as a municipality would map it: the routine start belongs at the desk.
PARKING = {
    "steps": [
        {"id": "ta-emot", "name": "Ta emot ansökan", "level": 1, "actor": "front", "minutes": 3},
        {
            "id": "kontroll",
            "name": "Kontrollera komplett",
            "level": 3,
            "actor": "back",
            "minutes": 10,
        },
        {
            "id": "beslut",
            "name": "Beslut enligt regler",
            "level": 4,
            "actor": "back",
            "minutes": 15,
        },
        {"id": "utreda", "name": "Särskild prövning", "level": 6, "actor": "back", "minutes": 60},
        {"id": "skicka", "name": "Skicka kort", "level": 3, "actor": "back", "minutes": 5},
    ],
    "flows": [
        {"from": "ta-emot", "to": "kontroll"},
        {"from": "kontroll", "to": "beslut", "share": 0.8},
        {"from": "kontroll", "to": "utreda", "share": 0.2},
        {"from": "beslut", "to": "skicka"},
        {"from": "utreda", "to": "skicka"},
    ],
}


def test_map_round_trips_through_its_json_form():
    graph = from_dict(PARKING)
    again = from_dict(to_dict(graph))
    assert nx.utils.graphs_equal(graph, again)
    assert again.nodes["beslut"]["level"] == 4 and again.nodes["beslut"]["actor"] == "back"


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda d: d["steps"][0].update(level=9), "steps[0].level"),
        (lambda d: d["steps"][1].update(actor="mitten"), "steps[1].actor"),
        (lambda d: d["steps"][2].update(minutes=-1), "steps[2].minutes"),
        (lambda d: d["steps"].append(dict(d["steps"][0])), "steps[5].id"),
        (lambda d: d["flows"].append({"from": "ta-emot", "to": "saknas"}), "flows[5].to"),
        (lambda d: d["steps"][0].update(colour="röd"), "steps[0].colour"),
        (lambda d: d.update(steps=[]), "steps"),
        (lambda d: d["steps"][0].update(level=True), "steps[0].level"),
    ],
)
def test_bad_maps_name_the_field_at_fault(change, place):
    data = {"steps": [dict(s) for s in PARKING["steps"]], "flows": list(PARKING["flows"])}
    change(data)
    with pytest.raises(ProcessMapError) as caught:
        from_dict(data)
    assert caught.value.place == place


def test_analysis_follows_the_most_common_path_and_counts_handoffs():
    graph = from_dict(PARKING)
    assert most_common_path(graph) == ["ta-emot", "kontroll", "beslut", "skicka"]
    analysis = analyse(graph)
    highest = {tuple(p.steps): p.highest_level for p in analysis.paths}
    assert highest == {
        ("ta-emot", "kontroll", "beslut", "skicka"): 4,
        ("ta-emot", "kontroll", "utreda", "skicka"): 6,
    }
    assert analysis.handoffs == 1  # front, then back for the rest


def test_moving_the_routine_start_to_the_front_office_helps():
    move = analyse_move(from_dict(PARKING), 4)
    # Along the common path nothing lies above 4: the whole path can move.
    assert move.movable == ["kontroll", "beslut", "skicka"]
    assert move.handoffs_before == 1 and move.handoffs_after == 0
    assert move.minutes_moved == 30
    assert move.helps and not move.warnings


def test_low_steps_after_a_high_one_are_called_out():
    data = {
        "steps": [
            {"id": "a", "name": "Ta emot", "level": 1, "actor": "front"},
            {"id": "b", "name": "Bedöma behov", "level": 6, "actor": "back"},
            {"id": "c", "name": "Registrera beslut", "level": 3, "actor": "back"},
        ],
        "flows": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
    }
    move = analyse_move(from_dict(data), 3)
    assert move.movable == [] and move.stranded == ["c"] and move.first_above == "b"
    assert not move.helps
    assert "Registrera beslut" in move.warnings[0] and "Bedöma behov" in move.warnings[0]


def test_handoffs_ignore_routing_nodes_and_unknown_actors():
    data = {
        "steps": [
            {"id": "s", "name": "Start", "kind": "start"},
            {"id": "a", "name": "A", "actor": "front"},
            {"id": "g", "name": "?", "kind": "gateway"},
            {"id": "b", "name": "B"},
            {"id": "c", "name": "C", "actor": "back"},
            {"id": "d", "name": "D", "actor": "front"},
        ],
        "flows": [
            {"from": "s", "to": "a"},
            {"from": "a", "to": "g"},
            {"from": "g", "to": "b"},
            {"from": "b", "to": "c"},
            {"from": "c", "to": "d"},
        ],
    }
    graph = from_dict(data)
    assert handoffs(graph, most_common_path(graph)) == 2


def test_edits_return_new_graphs_and_keep_the_flow():
    graph = from_dict(PARKING)
    added = add_step(graph, Step("info", "Informera", level=1, actor="front"), after="ta-emot")
    assert list(added.successors("ta-emot")) == ["info"]
    assert list(added.successors("info")) == ["kontroll"]
    assert "info" not in graph  # the original is untouched
    renamed = update_step(added, "info", name="Informera om regler", level=2)
    assert renamed.nodes["info"]["name"] == "Informera om regler"
    with pytest.raises(ProcessMapError):
        update_step(added, "info", level=0)
    removed = remove_step(renamed, "kontroll")
    assert set(removed.successors("info")) == {"beslut", "utreda"}
    swapped = move_earlier(from_dict(PARKING), "kontroll")
    assert most_common_path(swapped)[:2] == ["kontroll", "ta-emot"]
    with pytest.raises(ProcessMapError):
        move_earlier(graph, "skicka")  # two steps lead to it: no plain sequence


def test_lanes_become_actors():
    data = {
        "steps": [
            {"id": "a", "name": "A", "lane": "Kundtjänst"},
            {"id": "b", "name": "B", "lane": "Handläggning"},
        ],
        "flows": [{"from": "a", "to": "b"}],
    }
    graph = assign_lanes(from_dict(data), {"Kundtjänst": "front", "Handläggning": "back"})
    assert graph.nodes["a"]["actor"] == "front" and graph.nodes["b"]["actor"] == "back"
    with pytest.raises(ProcessMapError):
        assign_lanes(graph, {"Kundtjänst": "mitten"})


def test_the_study_staircase():
    # The 2008 study: 25 % at level 1, 65 % up to 2, 75 % up to 4.
    counts = {1: 250, 2: 400, 3: 50, 4: 50, 5: 70, 6: 120, 7: 30, 8: 30}
    stairs = staircase(counts)
    cumulative = {s.level: round(s.cumulative_share, 4) for s in stairs.levels}
    assert stairs.total == 1000
    assert (cumulative[1], cumulative[2], cumulative[4], cumulative[8]) == (0.25, 0.65, 0.75, 1.0)
    assert stairs.levels[2].share == 0.05


def test_empty_staircase_has_zero_shares():
    stairs = staircase({})
    assert stairs.total == 0 and all(s.share == s.cumulative_share == 0 for s in stairs.levels)


def _history(case_type, mandate, counts, months=12, seconds=None):
    history = PairHistory("K1", case_type, mandate, months)
    for level, n in counts.items():
        history.counts[(level, "informerat" if level <= mandate else "eskalerat")] = n
    for level, (total, n) in (seconds or {}).items():
        history.seconds_sum[level] = total
        history.seconds_n[level] = n
    return history


def test_target_is_the_highest_level_with_contacts_up_to_the_ceiling():
    proposal = propose(_history("PARK", 2, {1: 100, 2: 100, 3: 60, 4: 0, 5: 12, 6: 0}))
    assert proposal.target_mandate == 3  # nothing logged at 4
    assert proposal.referrals_avoided_per_month == 5.0  # 60 contacts over 12 months
    assert proposal.share_still_referred == pytest.approx(12 / 272)
    assert proposal.key == "K1:PARK:2:3"
    assert propose(_history("PARK", 2, {1: 5, 2: 5, 3: 1}), ceiling=2) is None
    assert propose(_history("PARK", 4, {1: 5, 4: 5, 6: 9})) is None


def test_evaluative_case_types_are_labelled_poor_and_ranked_last():
    routine = _history("PARK", 2, {1: 50, 3: 24})
    evaluative = _history("EKB", 2, {2: 10, 3: 48, 6: 200})
    ranked = rank([evaluative, routine])
    assert [p.case_type for p in ranked] == ["PARK", "EKB"]
    assert ranked[1].poor_candidate and "värderande" in ranked[1].warnings[0]
    assert ranked[1].referrals_avoided_per_month > ranked[0].referrals_avoided_per_month


def test_hours_moved_come_from_the_map_or_the_logged_times():
    history = _history("PARK", 2, {1: 10, 3: 12, 4: 12}, seconds={3: (600 * 12, 12)})
    by_time = propose(history)
    assert by_time.hours_basis == "loggad tid"
    # 24 contacts a year moved, 12 of them timed at 10 minutes: 2 per month x 10 min.
    assert by_time.hours_moved_per_month == pytest.approx(2 * 10 / 60)
    by_map = propose(history, from_dict(PARKING))
    assert by_map.hours_basis == "karta"
    # The common path moves kontroll + beslut + skicka = 30 minutes per case.
    assert by_map.hours_moved_per_month == pytest.approx(2 * 30 / 60)
    assert (by_map.handoffs_before, by_map.handoffs_after) == (1, 0)


def test_what_if_routes_the_history_again():
    park = _history("PARK", 2, {1: 40, 2: 20, 3: 30, 6: 10})
    ekb = _history("EKB", 2, {2: 50, 6: 50})
    ekb.counts[(6, "kopplat")] = 10  # put through live: stays so
    result = what_if([park, ekb], {"PARK": 3})
    assert result.contacts == 210
    assert result.first_contact_share_now == pytest.approx((60 + 50) / 210)
    assert result.first_contact_share_then == pytest.approx((90 + 50) / 210)
    assert result.referrals_per_month_now == pytest.approx((40 + 50) / 12)
    assert result.referrals_per_month_then == pytest.approx((10 + 50) / 12)
    assert [r.case_type for r in result.rows] == ["PARK"]


def test_path_search_on_a_dense_loop_stops_and_says_so():
    size = 12
    steps = [{"id": "s", "name": "s", "kind": "start"}, {"id": "e", "name": "e", "kind": "end"}]
    steps += [{"id": f"n{i}", "name": f"n{i}"} for i in range(size)]
    flows = [{"from": "s", "to": "n0"}, {"from": "n0", "to": "e"}]
    flows += [{"from": f"n{i}", "to": f"n{j}"} for i in range(size) for j in range(size) if i != j]
    analysis = analyse(from_dict({"steps": steps, "flows": flows}))
    assert [p.steps for p in analysis.paths] == [["s", "n0", "e"]]
    assert analysis.truncated  # 12! loops cannot all be walked; the page says it shows a part


def test_two_steps_leading_back_to_each_other_cannot_swap():
    data = {
        "steps": [{"id": "x", "name": "X"}, {"id": "p", "name": "P"}, {"id": "s", "name": "S"}],
        "flows": [{"from": "x", "to": "p"}, {"from": "p", "to": "s"}, {"from": "s", "to": "p"}],
    }
    with pytest.raises(ProcessMapError, match="tillbaka"):
        move_earlier(from_dict(data), "s")
